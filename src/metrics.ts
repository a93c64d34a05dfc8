import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterFamily, HistogramFamily } from './metric-families.js';

/**
 * The gateway's Prometheus metrics, served at GET /metrics. One registry per gateway instance.
 * Labels take only bounded values chosen by the gateway (operation = GraphQL root field or route,
 * provider ids from configuration, error codes from the catalog): nothing secret, nothing a client
 * can inflate.
 */
export class Metrics {
  readonly registry = new Registry();

  // The families every request and provider call touches: lean series (see metric-families.ts).
  readonly requests = new CounterFamily(
    'gateway_requests_total',
    'Requests answered, by operation (GraphQL root field or route) and outcome (OK or an error code).',
    ['operation', 'outcome'],
    this.registry,
  );
  readonly requestDuration = new HistogramFamily(
    'gateway_request_duration_seconds',
    'Time to answer a request, by operation.',
    ['operation'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    this.registry,
  );
  readonly upstreamCalls = new CounterFamily(
    'gateway_upstream_requests_total',
    'Calls to providers, by provider and outcome (2xx, 304, 4xx, 429, 5xx, network_error).',
    ['provider', 'outcome'],
    this.registry,
  );
  readonly upstreamDuration = new HistogramFamily(
    'gateway_upstream_request_duration_seconds',
    'Latency of calls to providers, by provider and outcome.',
    ['provider', 'outcome'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    this.registry,
  );
  readonly refreshes = new Counter({
    name: 'gateway_token_refreshes_total',
    help: 'Access-token refreshes, by provider and result: succeeded, failed, or coalesced (served by a refresh already under way, here or on another replica).',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });
  readonly proxyCalls = new CounterFamily(
    'gateway_proxy_calls_total',
    'providerRequest / callProvider calls, by provider, credential (USER or APP) and outcome (the status class of the answer, or an error code).',
    ['provider', 'credential', 'outcome'],
    this.registry,
  );
  readonly appTokens = new Counter({
    name: 'gateway_app_tokens_total',
    help: 'Client-credentials token requests of the gateway itself, by provider and result: fetched or failed.',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'gateway_store_errors_total',
    help: 'Session store operations that failed or timed out.',
    registers: [this.registry],
  });
  readonly stateRejections = new Counter({
    name: 'gateway_state_rejections_total',
    help: 'Authorization responses refused, by reason: unknown (unknown, expired or used), wrong_provider, issuer_mismatch, missing_iss.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A request answered: counted by operation and outcome, timed by operation. */
  requestAnswered(operation: string, outcome: string, seconds: number): void {
    this.requests.labels(operation, outcome).inc();
    this.requestDuration.labels(operation).observe(seconds);
  }

  /** A providerRequest / callProvider call answered or refused. */
  proxyCalled(provider: string, credential: string, outcome: string): void {
    this.proxyCalls.labels(provider, credential, outcome).inc();
  }

  /** A call to a provider answered (or failed): counted and timed by provider and outcome. */
  upstreamAnswered(provider: string, outcome: string, seconds: number): void {
    this.upstreamCalls.labels(provider, outcome).inc();
    this.upstreamDuration.labels(provider, outcome).observe(seconds);
  }
}

/** Outcome label of an upstream answer. */
export function upstreamOutcome(status: number | undefined): string {
  if (status === undefined) return 'network_error';
  if (status === 304 || status === 429) return String(status);
  return `${Math.floor(status / 100)}xx`;
}
