import { discord } from './discord.js';
import { dropbox } from './dropbox.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { linkedin } from './linkedin.js';
import { reddit } from './reddit.js';
import { spotify } from './spotify.js';
import { strava } from './strava.js';
import type { ProviderDefinition } from './types.js';

/** The providers built into the gateway. Adding one: a file beside this one and a line here. */
export const builtinProviders: readonly ProviderDefinition[] = [
  spotify,
  github,
  google,
  gitlab,
  discord,
  dropbox,
  linkedin,
  reddit,
  strava,
];

export { ProviderRegistry, RuntimeProvider } from './registry.js';
export type * from './types.js';
