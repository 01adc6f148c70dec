import { describe, expect, it } from 'vitest';
import { checkRequest, parseHostHeader, type GuardPolicy } from '../../../src/http/request-guard.js';

const loopback: GuardPolicy = { loopback: true, port: 9153, address: '127.0.0.1', allowedHosts: [] };
const offLoopback: GuardPolicy = { loopback: false, port: 9153, address: '0.0.0.0', allowedHosts: [] };
const yaml = { 'content-type': 'application/yaml' };

/** One row: the request and what the guard says (undefined = let through, else the refusal's reason). */
const rows: { name: string; policy?: GuardPolicy; method?: string; path?: string; headers: Record<string, string>; verdict: string | undefined }[] = [
  { name: 'curl on loopback', headers: { host: '127.0.0.1:9153' }, verdict: undefined },
  { name: 'localhost with its port', headers: { host: 'localhost:9153' }, verdict: undefined },
  { name: 'localhost without a port', headers: { host: 'localhost' }, verdict: undefined },
  { name: 'localhost with a trailing dot', headers: { host: 'LOCALHOST.:9153' }, verdict: undefined },
  { name: '[::1] with its port', headers: { host: '[::1]:9153' }, verdict: undefined },
  { name: 'a rebound name', headers: { host: 'attacker.example:9153' }, verdict: 'host' },
  { name: 'a rebound name with a loopback-looking prefix', headers: { host: '127.0.0.1.attacker.example:9153' }, verdict: 'host' },
  { name: 'another port of localhost', headers: { host: 'localhost:8080' }, verdict: 'host' },
  { name: 'no Host at all', headers: {}, verdict: 'host' },
  { name: 'a garbled Host', headers: { host: 'a b:9153' }, verdict: 'host' },
  { name: 'a name the user allowed', policy: { ...loopback, allowedHosts: ['dns.test'] }, headers: { host: 'dns.test:9153' }, verdict: undefined },
  { name: 'the bound address when it is not 127.0.0.1', policy: { ...loopback, address: '127.0.0.5' }, headers: { host: '127.0.0.5:9153' }, verdict: undefined },
  { name: 'a page on another origin (CSRF) with a loopback Host', headers: { host: '127.0.0.1:9153', origin: 'http://attacker.example' }, verdict: 'origin' },
  { name: 'a page on another port of localhost', headers: { host: 'localhost:9153', origin: 'http://localhost:3000' }, verdict: 'origin' },
  { name: 'an https origin', headers: { host: 'localhost:9153', origin: 'https://localhost:9153' }, verdict: 'origin' },
  { name: 'Origin: null (a sandboxed frame)', headers: { host: 'localhost:9153', origin: 'null' }, verdict: 'origin' },
  { name: 'our own page', method: 'POST', headers: { host: 'localhost:9153', origin: 'http://localhost:9153', ...yaml }, verdict: undefined },
  { name: 'our own page through 127.0.0.1', method: 'POST', headers: { host: '127.0.0.1:9153', origin: 'http://127.0.0.1:9153', ...yaml }, verdict: undefined },
  { name: 'Sec-Fetch-Site cross-site without Origin', headers: { host: '127.0.0.1:9153', 'sec-fetch-site': 'cross-site' }, verdict: 'fetch-site' },
  { name: 'Sec-Fetch-Site same-site (another localhost port)', headers: { host: '127.0.0.1:9153', 'sec-fetch-site': 'same-site' }, verdict: 'fetch-site' },
  { name: 'Sec-Fetch-Site same-origin', headers: { host: '127.0.0.1:9153', 'sec-fetch-site': 'same-origin' }, verdict: undefined },
  { name: 'a link to the page from elsewhere (navigation)', path: '/ui', headers: { host: 'localhost:9153', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, verdict: undefined },
  { name: 'a navigation to the API from elsewhere', path: '/v1/records', headers: { host: 'localhost:9153', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, verdict: 'fetch-site' },
  { name: 'a form post (text/plain)', method: 'POST', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-type': 'text/plain;charset=UTF-8' }, verdict: 'content-type' },
  { name: 'a form post (urlencoded, curl --data-binary)', method: 'POST', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-type': 'application/x-www-form-urlencoded' }, verdict: 'content-type' },
  { name: 'a form post (multipart)', method: 'POST', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-type': 'multipart/form-data; boundary=x' }, verdict: 'content-type' },
  { name: 'a POST without a type', method: 'POST', path: '/v1/registrations', headers: { host: '127.0.0.1:9153' }, verdict: 'content-type' },
  { name: 'a YAML POST', method: 'POST', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-type': 'application/yaml; charset=utf-8' }, verdict: undefined },
  { name: 'a JSON PUT', method: 'PUT', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-type': 'application/json' }, verdict: undefined },
  { name: 'a DELETE by name (no body)', method: 'DELETE', path: '/v1/registrations/Service/dev/db', headers: { host: '127.0.0.1:9153' }, verdict: undefined },
  { name: 'a DELETE with a text/plain body', method: 'DELETE', path: '/v1/registrations', headers: { host: '127.0.0.1:9153', 'content-length': '9', 'content-type': 'text/plain' }, verdict: 'content-type' },
  { name: 'kubelet off loopback (pod IP as Host)', policy: offLoopback, path: '/ready', headers: { host: '10.244.1.7:9153' }, verdict: undefined },
  { name: 'Prometheus off loopback', policy: offLoopback, path: '/metrics', headers: { host: 'cluster-dns.kube-system.svc:9153' }, verdict: undefined },
  { name: 'a cross-site page off loopback', policy: offLoopback, path: '/v1/records', headers: { host: '10.244.1.7:9153', origin: 'http://attacker.example' }, verdict: 'origin' },
];

describe('the HTTP request guard', () => {
  it.each(rows)('$name → $verdict', ({ policy, method, path, headers, verdict }) => {
    expect(checkRequest({ method: method ?? 'GET', path: path ?? '/v1/registrations', headers }, policy ?? loopback)?.reason).toBe(verdict);
  });

  it('says in one line what was refused and how to allow a name', () => {
    expect(checkRequest({ method: 'GET', path: '/', headers: { host: 'evil.test:9153' } }, loopback)).toEqual({
      status: 403,
      reason: 'host',
      message: 'Host "evil.test:9153" does not name this listener: on loopback only localhost, 127.0.0.1 or [::1] are answered (DNS rebinding); add a name with --http-allowed-hosts',
    });
    expect(checkRequest({ method: 'POST', path: '/v1/registrations', headers: { host: 'localhost:9153', 'content-type': 'text/plain' } }, loopback)).toEqual({
      status: 415,
      reason: 'content-type',
      message: 'Content-Type "text/plain" is not accepted for POST: send the body as application/yaml, application/x-yaml, text/yaml, text/x-yaml, application/json (a web form cannot)',
    });
  });

  it('parses Host headers as RFC 9110 §7.2 writes them', () => {
    expect(parseHostHeader('Example.TEST:80')).toEqual({ host: 'example.test', port: 80 });
    expect(parseHostHeader('[::1]')).toEqual({ host: '[::1]', port: undefined });
    expect(parseHostHeader('::1')).toBeUndefined();
    expect(parseHostHeader('a:b:c')).toBeUndefined();
  });
});
