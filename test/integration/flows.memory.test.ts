import { describeGatewayFlows } from './flows.suite.js';

describeGatewayFlows('in-memory', async () => ({}));
