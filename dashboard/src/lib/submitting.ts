import type { SubmitFunction } from '$app/forms';

type UpdateOptions = { reset?: boolean; invalidateAll?: boolean };

/**
 * A form's `use:enhance`: tells `setBusy` while a submission is in flight (the form disables its
 * button and shows a spinner) and then applies the answer as SvelteKit's default does, with
 * `update`'s options (`reset: false` keeps what was typed, so a refusal shows the API's field
 * errors beside the values that caused them). The form is free again even if applying fails.
 */
export function whileSubmitting(setBusy: (busy: boolean) => void, options?: UpdateOptions): SubmitFunction {
  return () => {
    setBusy(true);
    return async ({ update }) => {
      try {
        await update(options);
      } finally {
        setBusy(false);
      }
    };
  };
}
