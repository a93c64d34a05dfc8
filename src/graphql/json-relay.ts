import { GraphQLScalarType } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { secureRandomBytes } from '../random-bytes.js';

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
  private readonly texts = new Map<string, string>();
  /** Random per request: no provider's string, and no other request's placeholder, is taken for one of these. */
  private id?: string;

  /** The value for a `JSON` field that relays `text` (a JSON text that parsed). */
  hold(text: string): Held {
    this.id ??= secureRandomBytes(16).toString('hex');
    const token = `relay:${this.id}:${this.texts.size}`;
    this.texts.set(token, text);
    return new Held(token);
  }

  /** The serialized answer with every placeholder that made it into it replaced by its body. */
  splice(serialized: string): string {
    if (this.texts.size === 0) return serialized;
    let out = serialized;
    for (const [token, text] of this.texts) {
      const quoted = `"${token}"`;
      const at = out.indexOf(quoted);
      if (at >= 0) out = out.slice(0, at) + text + out.slice(at + quoted.length);
    }
    return out;
  }
}

/** graphql-scalars' `JSON`, which also serializes a held body to its placeholder. */
export const RelayedJSON = new GraphQLScalarType({
  ...GraphQLJSON.toConfig(),
  serialize: (value) => (value instanceof Held ? value.token : GraphQLJSON.serialize(value)),
});
