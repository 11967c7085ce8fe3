import { redirect } from '@sveltejs/kit';
import { clearSession } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export const load = (() => redirect(303, '/')) satisfies PageServerLoad;

export const actions = {
  default: ({ cookies, url }) => {
    clearSession(cookies, url);
    redirect(303, '/login');
  },
} satisfies Actions;
