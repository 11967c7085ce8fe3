import type { ApiClient, User } from '#lib/server/api.ts';

declare global {
  namespace App {
    interface Locals {
      /** The API client for this request, carrying the session's JWT (never sent to the browser). */
      api: ApiClient;
      /** The signed-in user, as GET /api/auth/me reports it; null when signed out. */
      user: User | null;
    }
  }
}

export {};
