import { AppError } from '../errors/app-error.js';
import { ErrorCode } from '../errors/codes.js';
import type { RuntimeProvider } from '../providers/registry.js';
import type { ProxyCredential } from './answer.js';
import { findRule, parseRules, type ProxyRule } from './rules.js';

interface ProviderRules {
  user: ProxyRule[];
  app: ProxyRule[];
}

/**
 * Default deny: each provider's allow-lists, from `P_PROXY_ALLOW` / `P_PROXY_APP_ALLOW` when set,
 * else from its definition (no `proxy` member: no call is allowed). Parsed once per provider; the
 * configuration was validated at boot, and a definition's own rules are checked by its tests.
 */
export class ProxyPolicy {
  private readonly cache = new Map<string, ProviderRules>();

  rules(provider: RuntimeProvider): ProviderRules {
    let rules = this.cache.get(provider.id);
    if (!rules) {
      const { settings, definition } = provider;
      rules = {
        user: parseRules(settings.proxyAllow ?? definition.proxy?.allow ?? []).rules,
        app: parseRules(settings.proxyAppAllow ?? definition.proxy?.appAllow ?? []).rules,
      };
      this.cache.set(provider.id, rules);
    }
    return rules;
  }

  /** The rule that allows the call, or PROXY_NOT_ALLOWED naming the method and path refused. */
  check(provider: RuntimeProvider, credential: ProxyCredential, method: string, path: string, segments: readonly string[]): ProxyRule {
    const { user, app } = this.rules(provider);
    const list = credential === 'USER' ? user : app;
    const rule = findRule(list, method, segments);
    if (rule) return rule;
    const which = credential === 'USER' ? 'allow-list' : 'app allow-list';
    const reason =
      list.length === 0
        ? `${provider.definition.name} has no ${which}: no API call is allowed${credential === 'APP' ? ' with the app token' : ''}.`
        : `${method} ${path.slice(0, 200)} is not on ${provider.definition.name}'s ${which}.`;
    throw new AppError(ErrorCode.PROXY_NOT_ALLOWED, reason, { provider: provider.id });
  }
}
