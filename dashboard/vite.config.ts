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
    }),
  ],
  // Quiet builds: `npm start` builds the dashboard when needed and should not print a profile.
  build: { rolldownOptions: { checks: { pluginTimings: false } } },
});
