import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { ArgumentValidationError } from 'type-graphql';
import { HttpHeaderInput, ProviderRequestInput } from '../../src/graphql/proxy.types.js';
import { buildGatewaySchema } from '../../src/graphql/schema.js';

const handle = 'A'.repeat(43);

describe('root fields called directly', () => {
  it('hand the method class instances, nested inputs and lists included, and the context', async () => {
    const schema = await buildGatewaySchema();
    const seen: unknown[] = [];
    const context = {
      services: { proxy: { call: async (call: unknown) => (seen.push(call), { json: null }) } },
      relay: { hold: () => undefined },
    };
    const field = schema.getQueryType()!.getFields().providerRequest!;
    const request = { path: '/user/repos', headers: [{ name: 'if-none-match', value: 'W/"1"' }], query: null };
    await field.resolve!(undefined, { provider: 'github', sessionId: handle, request }, context, undefined as never);
    const call = seen[0] as { request: ProviderRequestInput; sessionId: string };
    expect(call.sessionId).toBe(handle);
    expect(call.request).toBeInstanceOf(ProviderRequestInput);
    expect(call.request.headers![0]).toBeInstanceOf(HttpHeaderInput);
    expect(call.request).toMatchObject({ path: '/user/repos', query: null, headers: [{ name: 'if-none-match', value: 'W/"1"' }] });
  });

  it("validate the arguments before the method runs, nested ones included, with class-validator's errors", async () => {
    const schema = await buildGatewaySchema();
    let called = false;
    const context = { services: { proxy: { call: async () => ((called = true), {}) } }, relay: {} };
    const field = schema.getQueryType()!.getFields().providerRequest!;
    const request = { path: '/user', headers: [{ name: 'h'.repeat(65), value: 'x' }] };
    expect(() => field.resolve!(undefined, { provider: 'github', sessionId: handle, request }, context, undefined as never)).toThrow(
      ArgumentValidationError,
    );
    expect(() =>
      field.resolve!(undefined, { provider: 'GitHub', sessionId: handle, request: { path: '/user' } }, context, undefined as never),
    ).toThrow(ArgumentValidationError);
    expect(called).toBe(false);
  });

  it('convert mutation arguments the same way', async () => {
    const schema = await buildGatewaySchema();
    const seen: unknown[] = [];
    const context = {
      services: { flow: { start: async (...args: unknown[]) => (seen.push(args), {}) } },
      client: '127.0.0.1',
      binding: { bind: () => 'b' },
    };
    const field = schema.getMutationType()!.getFields().startAuth!;
    await field.resolve!(undefined, { provider: 'github', options: { scopes: ['repo'] } }, context, undefined as never);
    const [provider, options, client, bind] = seen[0] as [string, unknown, string, () => string];
    expect([provider, options, client]).toEqual(['github', { scopes: ['repo'], sessionId: undefined }, '127.0.0.1']);
    // The browser is bound only when the flow asks, once it is admitted.
    expect(bind()).toBe('b');
    expect(() => field.resolve!(undefined, { provider: 'github', options: { scopes: ['a b'] } }, context, undefined as never)).toThrow(
      ArgumentValidationError,
    );
  });
});
