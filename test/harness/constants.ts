export const TEMPLATE_DB = 'meterplane_template';
export const APP_PASSWORD = 'meterplane-test-app';
