import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { CompleteAuthArgs, ProviderSessionArgs, SessionArgs, StartAuthArgs } from './args.js';
import type { GraphQLContext } from './context.js';
import { AuthSession, AuthStart, Profile, Provider, ProviderProtocol, Session } from './types.js';

const toDate = (epochMs: number | undefined) => (epochMs === undefined ? null : new Date(epochMs));

/** Thin by design: validate (class-validator, on the args), call a service, shape the answer. */
@Resolver()
export class GatewayResolver {
  @Query(() => [Provider], { description: 'Every provider this gateway knows, configured or not.' })
  providers(@Ctx() { services }: GraphQLContext): Provider[] {
    return services.registry.list().map((p) => ({
      id: p.id,
      name: p.definition.name,
      protocol: p.definition.protocol as ProviderProtocol,
      configured: p.configured,
      defaultScopes: p.defaultScopes,
      supportsRefresh: p.definition.supportsRefresh,
      supportsRevocation: p.supportsRevocation,
    }));
  }

  @Query(() => Profile, { description: "The connected account's profile at a provider, read live (refreshing the token when needed)." })
  profile(@Args() { provider, sessionId }: ProviderSessionArgs, @Ctx() { services }: GraphQLContext): Promise<Profile> {
    return services.sessions.profile(sessionId, provider);
  }

  @Query(() => Session, { description: 'A session and its connections.' })
  async session(@Args() { sessionId }: SessionArgs, @Ctx() { services }: GraphQLContext): Promise<Session> {
    const view = await services.sessions.view(sessionId);
    return {
      sessionId,
      expiresAt: new Date(view.expiresAt),
      connections: view.connections.map((c) => ({
        provider: c.provider,
        scopes: c.scopes,
        connectedAt: new Date(c.connectedAt),
        accessTokenExpiresAt: toDate(c.accessTokenExpiresAt),
      })),
    };
  }

  @Mutation(() => AuthStart, {
    description:
      'Starts an authorization: returns the URL to send the user to, and sets a cookie binding the flow to this browser (only this browser can finish it).',
  })
  startAuth(@Args() { provider, options }: StartAuthArgs, @Ctx() { services, client, binding }: GraphQLContext): Promise<AuthStart> {
    // An explicit null in an optional input field means "not given".
    const wanted = { scopes: options?.scopes ?? undefined, sessionId: options?.sessionId ?? undefined };
    return services.flow.start(provider, wanted, client, () => binding.bind());
  }

  @Mutation(() => AuthSession, {
    description:
      'Completes an authorization with the `code` and `state` from the callback, in the browser that started it (its flow cookie must be sent); returns the session (the linked one when `startAuth` was given a sessionId).',
  })
  async completeAuth(
    @Args() { provider, code, state }: CompleteAuthArgs,
    @Ctx() { services, binding }: GraphQLContext,
  ): Promise<AuthSession> {
    const done = await services.flow.complete(provider, code, state, binding.presented);
    return { ...done, accessTokenExpiresAt: toDate(done.accessTokenExpiresAt), sessionExpiresAt: new Date(done.sessionExpiresAt) };
  }

  @Mutation(() => Boolean, { description: "Revokes the provider's grant where it supports revocation, then forgets the connection." })
  async disconnect(@Args() { provider, sessionId }: ProviderSessionArgs, @Ctx() { services }: GraphQLContext): Promise<boolean> {
    await services.sessions.disconnect(sessionId, provider);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Disconnects every connection of the session, then forgets the session.' })
  async endSession(@Args() { sessionId }: SessionArgs, @Ctx() { services }: GraphQLContext): Promise<boolean> {
    await services.sessions.end(sessionId);
    return true;
  }
}
