import { describe, expect, it } from '@jest/globals';
import { JsonRelay, RelayedJSON } from '../../src/graphql/json-relay.js';

describe('the JSON relay', () => {
  it('puts each held body where its placeholder was serialized, and nowhere else', () => {
    const relay = new JsonRelay();
    const first = RelayedJSON.serialize(relay.hold('[1, 2]')) as string;
    const second = RelayedJSON.serialize(relay.hold('{"big":12345678901234567890}')) as string;
    const serialized = JSON.stringify({ a: first, b: { c: second }, d: 'relay:0', e: `x${first}` });
    expect(JSON.parse(relay.splice(serialized))).toEqual({
      a: [1, 2],
      b: { c: { big: 12345678901234567890 } },
      d: 'relay:0',
      e: `x${first}`,
    });
    expect(relay.splice(serialized)).toContain('"c":{"big":12345678901234567890}');
  });

  it('leaves an answer alone when nothing was held or a held body was not selected', () => {
    const relay = new JsonRelay();
    expect(relay.splice('{"data":{"ok":true}}')).toBe('{"data":{"ok":true}}');
    relay.hold('{"x":1}');
    expect(relay.splice('{"data":{"status":200}}')).toBe('{"data":{"status":200}}');
  });

  it('serializes any other value as graphql-scalars JSON does', () => {
    expect(RelayedJSON.serialize({ a: [1, 'b', null] })).toEqual({ a: [1, 'b', null] });
    expect(RelayedJSON.name).toBe('JSON');
  });

  it("uses placeholders no other relay and no provider can guess: another request's token is not replaced", () => {
    const mine = new JsonRelay();
    const other = new JsonRelay();
    const token = other.hold('{"secret":1}');
    const serialized = JSON.stringify({ json: RelayedJSON.serialize(token) });
    mine.hold('{"mine":1}');
    expect(mine.splice(serialized)).toBe(serialized);
  });
});
