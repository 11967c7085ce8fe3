// Raising an alert is shared with the API (usage limits), so it lives with the alerts repository.
export { raiseAlert, raiseAlertIn } from '../../db/postgres/raise-alert.ts';
