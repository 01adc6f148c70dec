/** The answer memo over live registry views: scopes, selective drops, and its bounds. */
import { describe, expect, it } from 'vitest';
import { answered, nxdomain } from '../../../src/dns/outcomes.js';
import type { DomainName, RecordsAnswer } from '../../../src/dns/types.js';
import type { Registry, RegistryChanges } from '../../../src/registry/registry.js';
import { answerScope, createAnswerMemo } from '../../../src/resolver/answer-memo.js';

const zone = 'cluster.local';
const a = (name: string, address: string) => ({ type: 'A' as const, name, ttl: 5, address });
const srv = (name: string, target: string) => ({ type: 'SRV' as const, name, ttl: 5, priority: 0, weight: 100, port: 80, target });

describe('answerScope', () => {
  it('is the service name when every record and SRV target lies under it', () => {
    expect(answerScope(zone, 'web.shop.svc.cluster.local', answered([a('web.shop.svc.cluster.local', '10.96.0.1')]))).toBe('web.shop.svc.cluster.local');
    const name = '_http._tcp.web.shop.svc.cluster.local';
    expect(answerScope(zone, name, answered([srv(name, 'h0.web.shop.svc.cluster.local')], [a('h0.web.shop.svc.cluster.local', '10.244.0.1')]))).toBe('web.shop.svc.cluster.local');
  });

  it('is none for chains, SOA-carrying answers, targets or additionals elsewhere, and names outside services', () => {
    const name = 'ext.shop.svc.cluster.local';
    expect(answerScope(zone, name, answered([{ type: 'CNAME', name, ttl: 5, target: 'web.shop.svc.cluster.local' }, a('web.shop.svc.cluster.local', '10.96.0.1')]))).toBeUndefined();
    expect(answerScope(zone, '_http._tcp.ext.shop.svc.cluster.local', answered([srv('_http._tcp.ext.shop.svc.cluster.local', 'web.shop.svc.cluster.local')]))).toBeUndefined();
    expect(answerScope(zone, name, answered([a(name, '10.96.0.1')], [a('web.shop.svc.cluster.local', '10.96.0.2')]))).toBeUndefined();
    const soa = { type: 'SOA' as const, name: zone, ttl: 5, mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 5 };
    expect(answerScope(zone, name, nxdomain(soa, [{ type: 'CNAME', name, ttl: 5, target: 'nope.shop.svc.cluster.local' }]))).toBeUndefined();
    expect(answerScope(zone, '10-0-0-1.shop.pod.cluster.local', answered([a('10-0-0-1.shop.pod.cluster.local', '10.0.0.1')]))).toBeUndefined();
    // A look-alike: `xweb.shop.svc` is not under `web.shop.svc`.
    expect(answerScope(zone, 'h0.web.shop.svc.cluster.local', answered([a('h0.xweb.shop.svc.cluster.local', '10.0.0.1')]))).toBeUndefined();
  });
});

describe('answer memo over a live registry', () => {
  /** Views of one live registry: version v, and the names each batch changed. */
  function liveViews(batches: readonly (readonly DomainName[])[]): Registry[] {
    const changes: RegistryChanges = { since: (from) => batches.slice(from).flat() };
    return batches.map((_, v) => ({ zone, version: v, changes }) as unknown as Registry).concat([{ zone, version: batches.length, changes } as unknown as Registry]);
  }
  const answer = (): RecordsAnswer => answered([a('x.shop.svc.cluster.local', '10.0.0.1')]);

  it('drops the changed scopes and the unscoped answers, and keeps the rest', () => {
    const [v0, v1, v2] = liveViews([[], ['web.shop.svc.cluster.local']]);
    const memo = createAnswerMemo();
    const web = answer();
    const db = answer();
    const chain = answer();
    memo.keep(v0!, 'web.shop.svc.cluster.local', 1, web, 'web.shop.svc.cluster.local');
    memo.keep(v0!, 'db.shop.svc.cluster.local', 1, db, 'db.shop.svc.cluster.local');
    memo.keep(v0!, 'ext.shop.svc.cluster.local', 1, chain);
    expect(memo.find(v1!, 'db.shop.svc.cluster.local', 1)).toBe(db); // v0 → v1 changed nothing
    expect(memo.find(v2!, 'web.shop.svc.cluster.local', 1)).toBeUndefined();
    expect(memo.find(v2!, 'ext.shop.svc.cluster.local', 1)).toBeUndefined();
    expect(memo.find(v2!, 'db.shop.svc.cluster.local', 1)).toBe(db);
  });

  it('starts over for a whole snapshot, or when the registry cannot say what changed', () => {
    const [v0] = liveViews([[]]);
    const memo = createAnswerMemo();
    const db = answer();
    memo.keep(v0!, 'db.shop.svc.cluster.local', 1, db, 'db.shop.svc.cluster.local');
    expect(memo.find({ zone } as unknown as Registry, 'db.shop.svc.cluster.local', 1)).toBeUndefined();
    const forgetful = { zone, version: 5, changes: { since: () => undefined } } as unknown as Registry;
    const later = { ...forgetful, version: 6 } as unknown as Registry;
    memo.keep(forgetful, 'db.shop.svc.cluster.local', 1, db, 'db.shop.svc.cluster.local');
    expect(memo.find(later, 'db.shop.svc.cluster.local', 1)).toBeUndefined();
  });
});

describe('answer memo bounds', () => {
  it('starts over when one name is kept again and again, so its scope lists cannot grow without bound', () => {
    const memo = createAnswerMemo(10);
    const registry = { zone } as unknown as Registry;
    const other = answered([a('db.shop.svc.cluster.local', '10.0.0.2')]);
    memo.keep(registry, 'db.shop.svc.cluster.local', 1, other, 'db.shop.svc.cluster.local');
    for (let i = 0; i < 19; i++) memo.keep(registry, 'x.shop.svc.cluster.local', 1, answered([]));
    expect(memo.find(registry, 'db.shop.svc.cluster.local', 1)).toBe(other);
    memo.keep(registry, 'x.shop.svc.cluster.local', 1, answered([]));
    expect(memo.find(registry, 'db.shop.svc.cluster.local', 1)).toBeUndefined();
  });
});
