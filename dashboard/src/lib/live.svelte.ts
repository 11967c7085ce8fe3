/**
 * The browser side of GET /api/ws: one WebSocket per tab, shared by every component.
 * The browser sends the httpOnly session cookie with the upgrade request (same origin),
 * so no token ever passes through JavaScript. Reconnects with backoff.
 *
 * Messages are JSON objects with a `type` (api/README.md, *Live updates*): `usage.tick`
 * `{type, tenantId, at, counts: {<eventType>: n}}`, `alert.created`, `invoice.finalized`,
 * `invoice.paid`, `invoice.voided`, `subscription.updated` (invoice events carry
 * `invoice.invoiceId`). Each listener narrows what it reads.
 */
export type LiveMessage = { type: string; tenantId?: string; [key: string]: unknown };
type Listener = (message: LiveMessage) => void;

class Live {
  connected = $state(false);
  #socket: WebSocket | null = null;
  #listeners = new Map<string, Set<Listener>>();
  #users = 0;
  #retry = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Listen for one message type ('*' for all); returns the function that stops listening. */
  on(type: string, listener: Listener): () => void {
    let set = this.#listeners.get(type);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- listener bookkeeping, never rendered: reactivity would only cost
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    this.#users += 1;
    this.#open();
    return () => {
      set.delete(listener);
      this.#users -= 1;
      if (this.#users === 0) this.#close();
    };
  }

  #open() {
    if (this.#socket || typeof WebSocket === 'undefined') return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.connected = true;
      this.#retry = 0;
    };
    socket.onmessage = (event) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(String(event.data)) as LiveMessage;
      } catch {
        return;
      }
      if (typeof message?.type !== 'string') return;
      for (const key of [message.type, '*']) for (const listener of this.#listeners.get(key) ?? []) listener(message);
    };
    socket.onclose = () => {
      this.connected = false;
      this.#socket = null;
      if (this.#users === 0) return;
      const delay = Math.min(30_000, 500 * 2 ** this.#retry++);
      this.#timer = setTimeout(() => this.#open(), delay);
    };
  }

  #close() {
    clearTimeout(this.#timer);
    this.#socket?.close(1000);
    this.#socket = null;
    this.connected = false;
  }
}

export const live = new Live();
