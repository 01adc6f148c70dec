/** The Kubernetes flags: --kubeconfig/--kube-context, --kubernetes in-cluster|auto|off, --namespaces, --labels. */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli-args.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(argv, env).options.kubernetes;

describe('kubernetes flags', () => {
  it('is off by default, even with $KUBECONFIG set', () => {
    expect(parse([], { KUBECONFIG: '/home/me/.kube/config' })).toBeUndefined();
    expect(parse(['--kubernetes', 'off'])).toBeUndefined();
  });

  it('--kubeconfig turns it on with that file; companions ride along', () => {
    expect(parse(['--kubeconfig', 'kc.yaml', '--kube-context', 'prod', '--namespaces', 'shop, db', '--labels', 'dns=public'])).toEqual({
      mode: 'kubeconfig',
      kubeconfig: 'kc.yaml',
      context: 'prod',
      namespaces: ['shop', 'db'],
      labels: 'dns=public',
    });
  });

  it('--kubernetes in-cluster and auto, also from CLUSTER_DNS_KUBERNETES', () => {
    expect(parse(['--kubernetes', 'in-cluster'])).toEqual({ mode: 'in-cluster' });
    expect(parse([], { CLUSTER_DNS_KUBERNETES: 'auto', CLUSTER_DNS_NAMESPACES: 'shop' })).toEqual({ mode: 'auto', namespaces: ['shop'] });
  });

  it('bad values and orphaned companions are one line naming the option', () => {
    expect(() => parse(['--kubernetes', 'yes'])).toThrow('kubernetes: "yes" must be in-cluster, auto or off');
    expect(() => parse(['--namespaces', 'shop'])).toThrow('namespaces: needs --kubeconfig or --kubernetes in-cluster|auto');
    expect(() => parse(['--kubernetes', 'off', '--kubeconfig', 'x'])).toThrow('kubeconfig: needs --kubeconfig or --kubernetes in-cluster|auto (--kubernetes is off)');
  });
});
