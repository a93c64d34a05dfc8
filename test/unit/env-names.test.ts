import { describe, expect, it } from '@jest/globals';
import { editDistance, recordingEnv, unknownVariableWarnings } from '../../src/config/env-names.js';
import { loadConfig } from '../../src/config/load-config.js';

const ids = ['spotify', 'github', 'google'];

/** The names the configuration loader reads, as the gateway learns them: by reading. */
function knownNames(extra: Record<string, string> = {}): Set<string> {
  const { env, read } = recordingEnv({ ...extra });
  loadConfig(env, ids);
  return read;
}

const warningsFor = (env: Record<string, string>) => unknownVariableWarnings(env, knownNames(), ids);

describe('unknown variables that look like the gateway’s', () => {
  it('names the variable meant for a misspelled provider credential', () => {
    expect(warningsFor({ GITHUB_CLIENTID: 'x' })).toEqual([
      expect.stringContaining('GITHUB_CLIENTID is not a variable the gateway reads: did you mean GITHUB_CLIENT_ID?'),
    ]);
    expect(warningsFor({ GITHUB_SECRET: 'x' })).toEqual([expect.stringContaining('did you mean GITHUB_CLIENT_SECRET?')]);
    expect(warningsFor({ SPOTIFY_REDIRECT_URL: 'x' })).toEqual([expect.stringContaining('did you mean SPOTIFY_REDIRECT_URI?')]);
  });

  it('names the variable meant for a near miss of a known name', () => {
    expect(warningsFor({ CORS_ORIGIN: 'http://a' })).toEqual([expect.stringContaining('did you mean CORS_ORIGINS?')]);
    expect(warningsFor({ REDIS_URI: 'redis://a' })).toEqual([expect.stringContaining('did you mean REDIS_URL?')]);
    expect(warningsFor({ LOG_LEVLE: 'debug' })).toEqual([expect.stringContaining('did you mean LOG_LEVEL?')]);
  });

  it("leaves alone the system's and the tools' variables, and the gateway's own", () => {
    expect(
      warningsFor({
        PATH: '/bin',
        HOME: '/root',
        HOSTNAME: 'box',
        NODE_OPTIONS: '--x',
        NODE_EXTRA_CA_CERTS: '/x',
        npm_config_cache: '/x',
        TERM: 'xterm',
        SHLVL: '1',
        CI: 'true',
        PORT: '4000',
        HOST: '::',
        GITHUB_CLIENT_ID: 'id',
        GITHUB_CLIENT_SECRET: 'secret',
        CORS_ORIGINS: 'http://a',
        NODE_ENV: 'development',
        LOG_FORMAT: 'json',
      }),
    ).toEqual([]);
  });

  it('knows a variable because the loader reads it, not from a list (a variable added to the loader is known at once)', () => {
    const { env, read } = recordingEnv({});
    void env.SOME_NEW_SETTING;
    expect(unknownVariableWarnings({ SOME_NEW_SETTING: '1', SOME_NEW_SETTINGS: '1' }, read, ids)).toEqual([
      expect.stringContaining('SOME_NEW_SETTINGS is not a variable the gateway reads: did you mean SOME_NEW_SETTING?'),
    ]);
  });

  it('knows every per-provider name by the naming rule, for providers from PROVIDERS_FILE too', () => {
    const { env, read } = recordingEnv({});
    loadConfig(env, [...ids, 'my-idp']);
    expect(read).toContain('MY_IDP_CLIENT_ID');
    expect(unknownVariableWarnings({ MY_IDP_CLIENT_ID: 'a', MY_IDP_ISUER: 'b' }, read, [...ids, 'my-idp'])).toEqual([
      expect.stringContaining('MY_IDP_ISUER is not a variable the gateway reads: did you mean MY_IDP_ISSUER?'),
    ]);
  });

  it('warns about an unknown name under a provider prefix even with nothing close to suggest', () => {
    expect(warningsFor({ GOOGLE_ZZZZZZZZZZZZZZZZZZZZZZ: 'x' })).toEqual([
      expect.stringContaining('GOOGLE_ZZZZZZZZZZZZZZZZZZZZZZ is not a variable'),
    ]);
  });

  it('measures edit distance as insertions, deletions and substitutions', () => {
    expect(editDistance('REDIS_URI', 'REDIS_URL')).toBe(1);
    expect(editDistance('CORS_ORIGIN', 'CORS_ORIGINS')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
