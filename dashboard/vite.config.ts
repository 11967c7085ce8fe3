import { defineConfig } from 'vite';
import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-node';

// SvelteKit 3 takes its configuration here (svelte.config.js is gone).
// adapter-node writes build/: handler.js is what `meterplane start` mounts at `/`,
// index.js is the standalone server (`node build`, or `node server.js` to honour ORIGIN).
export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ precompress: false }),
      compilerOptions: { runes: true },
      version: { pollInterval: 0 },
      // Every page gets this Content-Security-Policy header; SvelteKit adds a fresh nonce per
      // response to script-src (and style-src) for the inline script that starts the app, so
      // no other inline script, and no script from elsewhere, can run. Style attributes
      // (`style="…"` in markup) are allowed: they cannot run code. `connect-src 'self'`
      // covers the /api/ws WebSocket of the same host.
      csp: {
        mode: 'auto',
        directives: {
          'default-src': ['none'],
          'script-src': ['self'],
          'style-src': ['self'],
          'style-src-attr': ['unsafe-inline'],
          'img-src': ['self', 'data:'],
          'font-src': ['self'],
          'connect-src': ['self'],
          'manifest-src': ['self'],
          'base-uri': ['none'],
          'form-action': ['self'],
          'frame-ancestors': ['none'],
        },
      },
    }),
  ],
  // Quiet builds: `npm start` builds the dashboard when needed and should not print a profile.
  build: { rolldownOptions: { checks: { pluginTimings: false } } },
});
