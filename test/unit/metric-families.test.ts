import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from '../../src/metric-families.js';

/** The exposition text as a sorted list of `name{sorted labels} value` lines, HELP and TYPE kept. */
async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics())
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const sample = /^(\w+)\{([^}]*)\} (.+)$/.exec(line);
      if (!sample) return line;
      const labels = sample[2]!.split(',').sort().join(',');
      return `${sample[1]}{${labels}} ${Number(sample[3]).toFixed(9)}`;
    })
    .sort();
}

const BUCKETS = [0.001, 0.01, 0.1, 1];
const observations: Array<[string, string, number]> = [
  ['profile', 'OK', 0.0004],
  ['profile', 'OK', 0.001],
  ['profile', 'OK', 0.05],
  ['profile', 'SESSION_NOT_FOUND', 3],
  ['startAuth', 'OK', 0.002],
];

describe('the lean metric families', () => {
  it('expose what prom-client would for the same counts and observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new CounterFamily('t_requests_total', 'Requests.', ['operation', 'outcome'], ours);
    const histogram = new HistogramFamily('t_duration_seconds', 'Durations.', ['operation'], BUCKETS, ours);
    const promCounter = new Counter({
      name: 't_requests_total',
      help: 'Requests.',
      labelNames: ['operation', 'outcome'],
      registers: [theirs],
    });
    const promHistogram = new Histogram({
      name: 't_duration_seconds',
      help: 'Durations.',
      labelNames: ['operation'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [operation, outcome, seconds] of observations) {
      counter.labels(operation, outcome).inc();
      histogram.labels(operation).observe(seconds);
      promCounter.labels(operation, outcome).inc();
      promHistogram.labels(operation).observe(seconds);
    }
    expect(await lines(ours)).toEqual(await lines(theirs));
    expect(await lines(ours)).toContain('t_duration_seconds_bucket{le="0.001",operation="profile"} 2.000000000');
  });

  it('keep a series handle valid across a reset, and refuse a wrong number of labels', async () => {
    const registry = new Registry();
    const counter = new CounterFamily('t_total', 'Things.', ['kind'], registry);
    const one = counter.labels('a');
    one.inc();
    one.inc(2);
    expect(await registry.metrics()).toContain('t_total{kind="a"} 3');
    registry.resetMetrics();
    one.inc();
    expect(await registry.metrics()).toContain('t_total{kind="a"} 1');
    expect(() => counter.labels('a', 'b')).toThrow(/takes labels kind/);
  });
});
