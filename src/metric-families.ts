import type { Metric, MetricValueWithName, Registry } from 'prom-client';

type Labels = Record<string, string>;

/**
 * Counter and histogram families for the series every request touches, registered in a prom-client
 * registry and exposed by it like its own. prom-client checks and hashes the label values on every
 * increment, even through a child from `labels()`; here a series is one lookup of its label values
 * and then a few numbers: an increment is an addition, an observation a search of the bucket bounds.
 */
abstract class Family<State extends object, Handle> {
  readonly aggregator = 'sum';
  /** Every series, for the exposition. */
  private readonly series: Array<{ labels: Labels; state: State; handle: Handle }> = [];
  /** The series by their label values, one level of maps per label: no key is built per lookup. */
  private readonly index = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    if (labelNames.length === 0) throw new Error(`${name}: a family has at least one label`);
    registry.registerMetric(this as unknown as Metric);
  }

  abstract readonly type: 'counter' | 'histogram';
  protected abstract fresh(): State;
  /** The handle callers record with: made once per series, over its state. */
  protected abstract bind(state: State): Handle;
  protected abstract export(labels: Labels, state: State): MetricValueWithName<string>[];

  /** The series of these label values, in the order of the family's label names. */
  labels(...values: string[]): Handle {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}`);
    let level = this.index;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    let handle = level.get(values[last]!) as Handle | undefined;
    if (handle === undefined) {
      const state = this.fresh();
      handle = this.bind(state);
      this.series.push({ labels: Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]!])), state, handle });
      level.set(values[last]!, handle);
    }
    return handle;
  }

  /** What prom-client's registry reads for /metrics. */
  async get() {
    const values = this.series.flatMap(({ labels, state }) => this.export(labels, state));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  getForPromString() {
    return this.get();
  }

  /** Zeroes every series (the handles already given out stay valid). */
  reset(): void {
    for (const series of this.series) Object.assign(series.state, this.fresh());
  }
}

export class CounterFamily extends Family<{ value: number }, { inc(by?: number): void }> {
  readonly type = 'counter';

  protected fresh() {
    return { value: 0 };
  }

  protected bind(state: { value: number }) {
    return { inc: (by = 1) => void (state.value += by) };
  }

  protected export(labels: Labels, state: { value: number }) {
    return [{ labels, value: state.value }];
  }
}

interface HistogramState {
  /** Observations per bucket, not cumulative; the last one is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class HistogramFamily extends Family<HistogramState, { observe(value: number): void }> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected bind(state: HistogramState) {
    const { buckets } = this;
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < buckets.length && value > buckets[i]!) i++;
        state.counts[i]!++;
        state.sum += value;
        state.count++;
      },
    };
  }

  protected fresh(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  protected export(labels: Labels, state: HistogramState) {
    let cumulative = 0;
    const values: MetricValueWithName<string>[] = this.buckets.map((le, i) => {
      cumulative += state.counts[i]!;
      return { metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative };
    });
    values.push(
      { metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: state.count },
      { metricName: `${this.name}_sum`, labels, value: state.sum },
      { metricName: `${this.name}_count`, labels, value: state.count },
    );
    return values;
  }
}
