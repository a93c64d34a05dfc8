import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { CallProviderArgs, ProviderRequestArgs } from './args.js';
import type { GraphQLContext } from './context.js';
import { ProviderResponse } from './proxy.types.js';

/** Calls to a provider's API through the gateway: reads are queries, writes mutations. */
@Resolver()
export class ProxyResolver {
  @Query(() => ProviderResponse, {
    description:
      "GET on the provider's API with the session's connection, or without `sessionId` with the gateway's app token (needs `Authorization: Bearer <GATEWAY_API_KEY>`). Only paths on the provider's allow-list.",
  })
  providerRequest(@Args() { provider, sessionId, request }: ProviderRequestArgs, @Ctx() ctx: GraphQLContext): Promise<ProviderResponse> {
    return ctx.services.proxy.call({
      provider,
      sessionId: sessionId ?? undefined,
      method: 'GET',
      request,
      authorization: ctx.authorization,
    }) as Promise<ProviderResponse>;
  }

  @Mutation(() => ProviderResponse, {
    description: "POST, PUT, PATCH or DELETE on the provider's API, on the allow-list only; never retried on failure.",
  })
  callProvider(
    @Args() { provider, sessionId, method, request, body }: CallProviderArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ProviderResponse> {
    return ctx.services.proxy.call({
      provider,
      sessionId: sessionId ?? undefined,
      method,
      request,
      body,
      authorization: ctx.authorization,
    }) as Promise<ProviderResponse>;
  }
}
