import { describe, expect, it } from 'vitest';
import { answered, refused } from '../../../src/dns/outcomes.js';
import type { Query } from '../../../src/dns/types.js';
import { compose, type Stage } from '../../../src/resolver/stage.js';

const query = { lowerName: 'web.shop.svc.cluster.local', type: 1 } as unknown as Query;
const last = () => refused();

describe('compose', () => {
  it('runs stages in order and binds each to its next once, not per query', () => {
    const seen: string[] = [];
    const nexts = new Set<unknown>();
    const pass = (name: string): Stage => (q, next) => {
      seen.push(name);
      nexts.add(next);
      return next(q);
    };
    const answer = answered([]);
    const resolve = compose([pass('a'), pass('b'), () => answer], last);
    expect(resolve(query)).toBe(answer);
    expect(resolve(query)).toBe(answer);
    expect(seen).toEqual(['a', 'b', 'a', 'b']);
    expect(nexts.size).toBe(2); // the same bound next for every query
  });

  it('falls through to last when no stage answers', () => {
    const resolve = compose([(q, next) => next(q)], last);
    expect(resolve(query)).toEqual(refused());
  });

  it('with checkNext, refuses a second call to next by one stage', () => {
    const twice: Stage = (q, next) => {
      next(q);
      return next(q);
    };
    expect(() => compose([twice], last, { checkNext: true })(query)).toThrow('next() called twice by one stage');
  });
});
