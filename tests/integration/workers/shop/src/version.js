export const VERSION = 'v1';
