// Built without Debian's libjs-chart.js: the dashboard shows tables only.
window.Chart = undefined;
