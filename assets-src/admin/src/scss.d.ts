// Stylesheets are imported for their side effect; wp-scripts extracts them to index.css.
declare module '*.scss';
