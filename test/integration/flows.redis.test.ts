import { describeGatewayFlows } from './flows.suite.js';
import { redisAvailable, redisEnv, redisKeys } from './harness.js';

const env = redisEnv();
describeGatewayFlows(
  'Redis',
  async () => ((await redisAvailable()) ? env : undefined),
  async () => void (await redisKeys(env.STORE_NAMESPACE!, true)),
);
