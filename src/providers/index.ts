import { apple } from './apple.js';
import { discord } from './discord.js';
import { dropbox } from './dropbox.js';
import { github } from './github.js';
import { gitlab } from './gitlab.js';
import { google } from './google.js';
import { microsoftEntraId } from './microsoft-entra-id.js';
import { notion } from './notion.js';
import { slack } from './slack.js';
import { linkedin } from './linkedin.js';
import { reddit } from './reddit.js';
import { spotify } from './spotify.js';
import { strava } from './strava.js';
import type { ProviderDefinition } from './types.js';
import { x } from './x.js';
import { zoom } from './zoom.js';

/** The providers built into the gateway. Adding one: a file beside this one and a line here. */
export const builtinProviders: readonly ProviderDefinition[] = [
  spotify,
  github,
  google,
  microsoftEntraId,
  gitlab,
  discord,
  slack,
  x,
  linkedin,
  dropbox,
  apple,
  reddit,
  zoom,
  notion,
  strava,
];

export { ProviderRegistry, RuntimeProvider } from './registry.js';
export type * from './types.js';
