import { GraphQLScalarType } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { randomBytes } from 'node:crypto';

/** Stands for a provider's JSON body in the serialized answer until JsonRelay.splice puts the body there. */
class Held {
  constructor(readonly token: string) {}
}

/**
 * A provider's JSON body relayed as the provider sent it. The proxy parses the body (to know that it
 * is JSON, and to find a `next` page in it), but Apollo would then serialize the parsed value back,
 * which for a list of repositories costs as much as the parse; and JSON numbers beyond 2^53 (64-bit
 * ids) would come back rounded. Instead the `json` field resolves to a placeholder string, and once
 * Apollo has serialized the answer the placeholder, quoted, is replaced by the body's text, which
 * `JSON.parse` accepted and which therefore is one JSON value. One relay per request.
 */
export class JsonRelay {
  private static readonly nonce = randomBytes(16).toString('hex');
  private static requests = 0;
  /** Made by the first `hold`: most requests relay nothing. */
  private texts?: Map<string, string>;
  /**
   * A random per-process nonce and a per-request number: no provider's string can be taken for a
   * placeholder (it would have to hold the nonce, which no answer carries), nor can another request's.
   */
  private id?: string;

  /** The value for a `JSON` field that relays `text` (a JSON text that parsed). */
  hold(text: string): Held {
    this.id ??= `${JsonRelay.nonce}:${++JsonRelay.requests}`;
    this.texts ??= new Map();
    const token = `relay:${this.id}:${this.texts.size}`;
    this.texts.set(token, text);
    return new Held(token);
  }

  /**
   * The serialized answer with every placeholder that made it into it replaced by its body. The
   * placeholders are found in Apollo's output before anything is put in, so a body's own text is
   * never searched.
   */
  splice(serialized: string): string {
    if (!this.texts) return serialized;
    const found: Array<{ at: number; length: number; text: string }> = [];
    for (const [token, text] of this.texts) {
      const quoted = `"${token}"`;
      const at = serialized.indexOf(quoted);
      if (at >= 0) found.push({ at, length: quoted.length, text });
    }
    found.sort((a, b) => a.at - b.at);
    let out = '';
    let from = 0;
    for (const { at, length, text } of found) {
      out += serialized.slice(from, at) + text;
      from = at + length;
    }
    return out + serialized.slice(from);
  }
}

/** graphql-scalars' `JSON`, which also serializes a held body to its placeholder. */
export const RelayedJSON = new GraphQLScalarType({
  ...GraphQLJSON.toConfig(),
  serialize: (value) => (value instanceof Held ? value.token : GraphQLJSON.serialize(value)),
});
