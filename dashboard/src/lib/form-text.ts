/**
 * A submitted field as text, trimmed, '' when absent: how form actions read what was typed
 * (a password is read as typed, untrimmed).
 */
export const formText = (form: FormData, name: string): string => String(form.get(name) ?? '').trim();
