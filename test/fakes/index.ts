export * from './fake-server.js';
export * from './grants.js';
export * from './oauth-core.js';
export * from './spotify.js';
export * from './github.js';
export * from './google.js';
export * from './discord.js';
export * from './dropbox.js';
