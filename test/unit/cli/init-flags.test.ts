import { describe, expect, it } from 'vitest';
import { initNetworking } from '../../../cli/swarm/commands.js';
import { isUserError } from '../../../src/util/errors.js';

/** `tsswarm init --default-addr-pool ... --default-addr-pool-mask-len N --data-path-port P`. */
function refusal(o: Parameters<typeof initNetworking>[0]): { message: string; exitCode: number } {
  try {
    initNetworking(o);
  } catch (e) {
    if (isUserError(e)) return { message: e.message, exitCode: e.exitCode };
    throw e;
  }
  throw new Error('accepted');
}

describe('tsswarm init: address pool flags', () => {
  it('sends nothing when no flag is given (the daemon uses Swarm defaults)', () => {
    expect(initNetworking({})).toEqual({});
  });

  it('takes repeated and comma-separated pools, a mask length and a port', () => {
    expect(initNetworking({ defaultAddrPool: ['10.10.0.0/16,10.20.0.0/16', '192.168.64.0/20'], defaultAddrPoolMaskLen: '26', dataPathPort: '7789' })).toEqual({
      defaultAddrPools: ['10.10.0.0/16', '10.20.0.0/16', '192.168.64.0/20'],
      defaultAddrPoolMaskLen: 26,
      dataPathPort: 7789,
    });
  });

  it('refuses bad values as usage errors (exit 2) naming the flag', () => {
    expect(refusal({ defaultAddrPool: ['10.0.0.0/8,10.1.0.0/16'] })).toEqual({ message: '--default-addr-pool: address pools 10.0.0.0/8 and 10.1.0.0/16 overlap', exitCode: 2 });
    expect(refusal({ defaultAddrPool: ['10.0.0.1/8'] }).message).toBe('--default-addr-pool: address pool 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?');
    expect(refusal({ defaultAddrPool: ['fd00::/48'] }).message).toMatch(/^--default-addr-pool: .*IPv6 is not supported yet/);
    expect(refusal({ defaultAddrPoolMaskLen: '31' }).message).toMatch(/^--default-addr-pool-mask-len: subnet size \/31: must be 1-30/);
    expect(refusal({ defaultAddrPool: ['10.0.0.0/26'] }).message).toBe('--default-addr-pool-mask-len: subnet size /24 is larger than address pool 10.0.0.0/26');
    expect(refusal({ defaultAddrPoolMaskLen: 'x' })).toEqual({ message: '--default-addr-pool-mask-len: "x" is not a number', exitCode: 2 });
    expect(refusal({ dataPathPort: '80' })).toEqual({ message: '--data-path-port: data path port 80: must be 1024-49151', exitCode: 2 });
  });
});
