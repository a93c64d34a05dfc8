import type { RequestBinding } from '../auth/binding.js';
import type { AuthFlow } from '../auth/flow.js';
import type { Sessions } from '../auth/sessions.js';
import type { ProxyService } from '../proxy/proxy-service.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JsonRelay } from './json-relay.js';

/** The services a request may use. Built once at boot, shared by every request. */
export interface Services {
  registry: ProviderRegistry;
  flow: AuthFlow;
  sessions: Sessions;
  proxy: ProxyService;
}

export interface GraphQLContext {
  services: Services;
  /** The client's address, for the startAuth rate limit. */
  client: string;
  /** The browser's flow-binding cookie, and the one to set when startAuth binds a flow. */
  binding: RequestBinding;
  /** The request's `Authorization` header: app-token calls present the gateway key in it. */
  authorization?: string;
  /** Provider bodies put into the serialized answer as they came (see JsonRelay). */
  relay: JsonRelay;
}
