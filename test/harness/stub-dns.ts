import type { ResolvedAddress, Resolve } from '../../domain/webhooks/destination.ts';

/** A resolver that answers from a table (ENOTFOUND for anything else) and records what it was asked. */
export function stubDns(answers: Record<string, ResolvedAddress[]>) {
  const asked: string[] = [];
  const resolve: Resolve = async (hostname) => {
    asked.push(hostname);
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { resolve, asked };
}
