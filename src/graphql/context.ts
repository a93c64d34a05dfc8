import type { RequestBinding } from '../auth/binding.js';
import type { AuthFlow } from '../auth/flow.js';
import type { Sessions } from '../auth/sessions.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** The services a request may use. Built once at boot, shared by every request. */
export interface Services {
  registry: ProviderRegistry;
  flow: AuthFlow;
  sessions: Sessions;
}

export interface GraphQLContext {
  services: Services;
  /** The client's address, for the startAuth rate limit. */
  client: string;
  /** The browser's flow-binding cookie, and the one to set when startAuth binds a flow. */
  binding: RequestBinding;
}
