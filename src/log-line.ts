import { pino, type Logger } from 'pino';

/** The fields of a fixed-shape line: plain values only, written in the object's key order. */
export type PlainFields = Record<string, string | number | boolean | undefined>;

/** The logger's own settings, which pino keeps under its exported symbols. */
type PinoInternals = Record<symbol, unknown>;

/**
 * A writer of one fixed-shape info line (the request line, the provider-call line): lines every
 * request costs, with ids, codes, numbers and a path without its query, nothing secret, so they
 * skip the redaction pass other lines pay for. The line is put together here, in the logger's own
 * JSON form (its level, time and bindings, `msg` last), and handed to the logger's destination:
 * the line `logger.info(fields, message)` would write, without pino walking an object for it. A
 * logger set up otherwise (a mixin, a nested key) gets the line through `logger.info`.
 */
export function plainLineWriter(logger: Logger, message: string): (fields: PlainFields) => void {
  const internals = logger as unknown as PinoInternals;
  const { symbols } = pino;
  const stream = internals[symbols.streamSym] as { write?: (chunk: string) => void } | undefined;
  const levelPrefix = (internals[symbols.lsCacheSym] as Record<number, string> | undefined)?.[30];
  const time = internals[symbols.timeSym] as (() => string) | undefined;
  const chindings = (internals[symbols.chindingsSym] as string | undefined) ?? '';
  const end = internals[symbols.endSym] as string | undefined;
  const plain =
    typeof stream?.write === 'function' &&
    typeof levelPrefix === 'string' &&
    typeof time === 'function' &&
    typeof end === 'string' &&
    internals[symbols.messageKeySym] === 'msg' &&
    !internals[symbols.mixinSym] &&
    !internals[symbols.nestedKeySym];
  if (!plain) return (fields) => logger.info(fields, message);
  const tail = `,"msg":${JSON.stringify(message)}${end}`;
  // Each field's `,"name":`, quoted once: a line's names are the code's own, the same few every time.
  const keys = new Map<string, string>();
  const key = (name: string) => {
    let quoted = keys.get(name);
    if (quoted === undefined) keys.set(name, (quoted = `,${JSON.stringify(name)}:`));
    return quoted;
  };
  return (fields) => {
    if (!logger.isLevelEnabled('info')) return;
    let text = `${levelPrefix}${time()}${chindings}`;
    for (const name in fields) {
      const value = fields[name];
      if (value === undefined) continue;
      text +=
        key(name) +
        (typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' && !Number.isFinite(value) ? 'null' : String(value));
    }
    stream.write!(text + tail);
  };
}
