/** Socket addresses as JS passes them to TCP and UDP: `{ address, port, family? }`. */
import { isIP } from 'node:net';
import { invalidArgType, invalidArgValue } from './errors.js';
import { validateInteger, validateObject } from './validate.js';

/** An address as Node writes it: `{ address, port, family? }`. */
export interface AddressInput {
  address: string;
  port: number;
  family?: 'IPv4' | 'IPv6';
}

/** Checks an address argument; returns [address, port]. */
export function readAddress(addr: unknown, name = 'addr'): [string, number] {
  validateObject(addr, name);
  const { address, port, family } = addr;
  if (typeof address !== 'string') throw invalidArgType(`${name}.address`, 'of type string', address);
  validateInteger(port, `${name}.port`, 0, 65535);
  const version = isIP(address);
  if (version === 0) throw invalidArgValue(`${name}.address`, address, 'must be an IPv4 or IPv6 address');
  if (family !== undefined && family !== (version === 4 ? 'IPv4' : 'IPv6')) {
    throw invalidArgValue(`${name}.family`, family, `does not match the address ${address}`);
  }
  return [address, port];
}

/** An IP address string argument (a multicast group, a source, an interface address). */
export function readIP(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (isIP(value) === 0) throw invalidArgValue(name, value, 'must be an IPv4 or IPv6 address');
  return value;
}
