/** The live view's filters as the page puts them in its URL and the endpoints read them. */
import { describe, expect, it } from 'vitest';
import { parseQueryFilter, UI_CSP } from '../../../src/http/ui-routes.js';

describe('parseQueryFilter', () => {
  it('reads rcode, client, name and slower, leaving out the empty ones', () => {
    expect(parseQueryFilter(new URLSearchParams('rcode=NXDOMAIN&client=127.0.0.1&name=shop&slower=2.5'))).toEqual({ rcode: 'NXDOMAIN', client: '127.0.0.1', name: 'shop', slowerThanMs: 2.5 });
    expect(parseQueryFilter(new URLSearchParams('rcode=&client=%20&slower='))).toEqual({});
  });

  it('names the parameter of a bad value', () => {
    expect(parseQueryFilter(new URLSearchParams('slower=-1'))).toBe('slower: "-1" is not a number of milliseconds');
    expect(parseQueryFilter(new URLSearchParams('slower=soon'))).toBe('slower: "soon" is not a number of milliseconds');
  });
});

describe('UI_CSP', () => {
  it('allows nothing inline and nothing from elsewhere', () => {
    const directives = Object.fromEntries(UI_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(UI_CSP).not.toContain('unsafe');
  });
});
