import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { CallProviderArgs, ProviderRequestArgs } from './args.js';
import type { ProxyAnswer } from '../proxy/answer.js';
import type { GraphQLContext } from './context.js';
import { ProviderResponse } from './proxy.types.js';

/** Calls to a provider's API through the gateway: reads are queries, writes mutations. */
@Resolver()
export class ProxyResolver {
  @Query(() => ProviderResponse, {
    description:
      "GET on the provider's API with the session's connection, or without `sessionId` with the gateway's app token (needs `Authorization: Bearer <GATEWAY_API_KEY>`). Only paths on the provider's allow-list.",
  })
  async providerRequest(
    @Args() { provider, sessionId, request }: ProviderRequestArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ProviderResponse> {
    const answer = await ctx.services.proxy.call({
      provider,
      sessionId: sessionId ?? undefined,
      method: 'GET',
      request,
      authorization: ctx.authorization,
    });
    return relayed(answer, ctx);
  }

  @Mutation(() => ProviderResponse, {
    description: "POST, PUT, PATCH or DELETE on the provider's API, on the allow-list only; never retried on failure.",
  })
  async callProvider(
    @Args() { provider, sessionId, method, request, body }: CallProviderArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ProviderResponse> {
    const answer = await ctx.services.proxy.call({
      provider,
      sessionId: sessionId ?? undefined,
      method,
      request,
      body,
      authorization: ctx.authorization,
    });
    return relayed(answer, ctx);
  }
}

/**
 * The answer with its JSON body relayed as the provider's text rather than re-serialized. The answer
 * is this call's own object: its `json` is replaced in place (`jsonText`, which is no field of
 * ProviderResponse, is never resolved).
 */
function relayed(answer: ProxyAnswer, ctx: GraphQLContext): ProviderResponse {
  if (answer.jsonText !== undefined) answer.json = ctx.relay.hold(answer.jsonText);
  return answer as ProviderResponse;
}
