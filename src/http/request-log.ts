import { pino, type Logger } from 'pino';

/** The one line a request leaves: fixed fields, no query string, no body, no header. */
export interface RequestLine {
  method?: string;
  path?: string;
  operation?: string;
  status: number;
  errorCode?: string;
  durationMs: number;
}

/** The logger's own settings, which pino keeps under its exported symbols. */
type PinoInternals = Record<symbol, unknown>;

/**
 * A writer of the request line, the one line every request costs. The line has a fixed shape with
 * nothing secret in it, so it is put together here, in the logger's own JSON form (its level, time
 * and bindings, `msg` last) and handed to the logger's destination: the same line `logger.info`
 * would write, without building and walking an object for it. A logger set up otherwise (a mixin,
 * a nested key) gets the line through `logger.info`.
 */
export function requestLineWriter(logger: Logger): (line: RequestLine) => void {
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
  if (!plain) return (line) => logger.info(line, 'request');
  return (line) => {
    if (!logger.isLevelEnabled('info')) return;
    let text = `${levelPrefix}${time()}${chindings}`;
    if (line.method !== undefined) text += `,"method":${JSON.stringify(line.method)}`;
    if (line.path !== undefined) text += `,"path":${JSON.stringify(line.path)}`;
    if (line.operation !== undefined) text += `,"operation":${JSON.stringify(line.operation)}`;
    text += `,"status":${line.status}`;
    if (line.errorCode !== undefined) text += `,"errorCode":${JSON.stringify(line.errorCode)}`;
    stream.write!(`${text},"durationMs":${line.durationMs},"msg":"request"${end}`);
  };
}
