// The script behind the "All tests" table: it reads every test from the page's JSON data block
// and shows one page of rows at a time, sorted by any column and filtered by node id. It is plain
// browser JavaScript in a string, allowed by its hash in the page's Content-Security-Policy. Its
// logic (formatting, sort, filter, paging) is returned as `RunChunksAllTests` so tests can run it
// in node:vm with a tiny document; it writes only textContent and attributes, never markup.

/** Rows per page of the All tests table, with scripts and without (the static first page). */
export const ALL_TESTS_PAGE_SIZE = 100;

/**
 * The table's columns, in order; each is sorted by the row fields it names (see AllTestsRow). The
 * script holds the same list; a test checks the two agree.
 */
export const ALL_TESTS_COLUMNS = [
  { key: 'chunk', label: 'Chunk', numeric: false },
  { key: 'nodeid', label: 'Test', numeric: false },
  { key: 'outcome', label: 'Outcome', numeric: false },
  { key: 'duration', label: 'Duration', numeric: true },
  { key: 'peak', label: 'Peak RSS', numeric: true },
  { key: 'retained', label: 'Retained RSS (end − start)', numeric: true },
  { key: 'worker', label: 'Worker', numeric: false },
  { key: 'attempt', label: 'Attempt', numeric: true },
] as const;

/** The script's source. formatBytes and formatDuration match src/config's formatBytes and formatDurationMs (a test checks). */
export const ALL_TESTS_SCRIPT = String.raw`var RunChunksAllTests = (function () {
  'use strict';
  var PAGE_SIZE = ${ALL_TESTS_PAGE_SIZE};
  var UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  // Row fields: [chunk index, nodeid, outcome, durationMs, peakRssBytes, peakRssSource, retainedBytes, worker, attempt].
  var COLUMNS = [
    { key: 'chunk', numeric: false, value: function (row, chunks) { return chunks[row[0]]; } },
    { key: 'nodeid', numeric: false, value: function (row) { return row[1]; } },
    { key: 'outcome', numeric: false, value: function (row) { return row[2]; } },
    { key: 'duration', numeric: true, value: function (row) { return row[3]; } },
    { key: 'peak', numeric: true, value: function (row) { return row[4]; } },
    { key: 'retained', numeric: true, value: function (row) { return row[6]; } },
    { key: 'worker', numeric: false, value: function (row) { return row[7]; } },
    { key: 'attempt', numeric: true, value: function (row) { return row[8]; } }
  ];

  function roundSignificant(value) {
    return value >= 100 ? Math.round(value) : Number(value.toPrecision(3));
  }
  function formatMagnitude(bytes) {
    if (Math.round(bytes) < 1024) return Math.round(bytes) + ' B';
    var value = bytes / 1024;
    var unit = 0;
    while (roundSignificant(value) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return roundSignificant(value) + ' ' + UNITS[unit];
  }
  function formatBytes(bytes) {
    var text = formatMagnitude(Math.abs(bytes));
    return bytes < 0 && text !== '0 B' ? '-' + text : text;
  }
  function pad2(value) {
    return value < 10 ? '0' + value : String(value);
  }
  function formatDuration(ms) {
    if (Math.round(ms) < 1000) return Math.round(ms) + 'ms';
    var tenths = Math.round(ms / 100);
    if (tenths < 600) return (tenths / 10).toFixed(1) + 's';
    var total = Math.round(ms / 1000);
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    if (hours > 0) return minutes === 0 ? hours + 'h' : hours + 'h' + pad2(minutes) + 'm';
    if (seconds === 0) return minutes + 'm';
    return minutes + 'm' + pad2(seconds) + 's';
  }

  /** The text of each cell of a row, in column order: what the static rows show too. */
  function cellTexts(row, chunks) {
    var peak = row[4] === null ? '–' : (row[5] === 'start-end' ? '≥ ' : '') + formatBytes(row[4]);
    var retained = row[6] === null ? '–' : (row[6] > 0 ? '+' : '') + formatBytes(row[6]);
    return [chunks[row[0]], row[1], row[2], row[3] === null ? '–' : formatDuration(row[3]), peak, retained, row[7] === null ? '–' : row[7], String(row[8])];
  }

  // Unknown values (null) go last whichever way a column is sorted; ties keep the data's order.
  function compare(a, b, numeric) {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    if (numeric) return a - b;
    return a < b ? -1 : 1;
  }

  /** Indexes of the rows whose node id holds query (any case), sorted by a column (null: the data's order). */
  function selectRows(data, query, sortKey, descending) {
    var needle = query.toLowerCase();
    var picked = [];
    for (var index = 0; index < data.rows.length; index += 1) {
      if (needle === '' || data.rows[index][1].toLowerCase().indexOf(needle) >= 0) picked.push(index);
    }
    var column = null;
    for (var c = 0; c < COLUMNS.length; c += 1) if (COLUMNS[c].key === sortKey) column = COLUMNS[c];
    if (column === null) return picked;
    var values = picked.map(function (index) { return column.value(data.rows[index], data.chunks); });
    var order = picked.map(function (_, position) { return position; });
    order.sort(function (x, y) {
      var a = values[x];
      var b = values[y];
      if (a === null || b === null) return compare(a, b, column.numeric) || x - y;
      return (descending ? -compare(a, b, column.numeric) : compare(a, b, column.numeric)) || x - y;
    });
    return order.map(function (position) { return picked[position]; });
  }

  /** The page's rows [start, end) of total (page clamped to those there are), and its label. */
  function pageOf(total, page) {
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    var current = Math.min(Math.max(0, page), pages - 1);
    var start = current * PAGE_SIZE;
    var end = Math.min(total, start + PAGE_SIZE);
    return { page: current, pages: pages, start: start, end: end, label: total === 0 ? 'No rows' : 'Rows ' + (start + 1) + '–' + end + ' of ' + total };
  }

  function start(document) {
    var source = document.getElementById('all-tests-data');
    if (!source) return null;
    var data = JSON.parse(source.textContent);
    var body = document.getElementById('all-tests-body');
    var filter = document.getElementById('all-tests-filter');
    var status = document.getElementById('all-tests-status');
    var prev = document.getElementById('all-tests-prev');
    var next = document.getElementById('all-tests-next');
    var headers = document.getElementById('all-tests-head').children;
    var state = { query: '', sortKey: null, descending: false, page: 0, selected: null };

    function render() {
      if (state.selected === null) state.selected = selectRows(data, state.query, state.sortKey, state.descending);
      var shown = pageOf(state.selected.length, state.page);
      state.page = shown.page;
      body.textContent = '';
      for (var index = shown.start; index < shown.end; index += 1) {
        var row = data.rows[state.selected[index]];
        var texts = cellTexts(row, data.chunks);
        var tr = document.createElement('tr');
        tr.className = 'outcome-' + row[2];
        for (var c = 0; c < texts.length; c += 1) {
          var td = document.createElement('td');
          td.className = COLUMNS[c].numeric ? 'num' : COLUMNS[c].key === 'nodeid' ? 'nodeid' : '';
          td.textContent = texts[c];
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      var filtered = state.selected.length === data.rows.length ? '' : ' matching (of ' + data.rows.length + ' tests)';
      status.textContent = shown.label + filtered;
      prev.disabled = shown.page === 0;
      next.disabled = shown.page >= shown.pages - 1;
      for (var h = 0; h < headers.length; h += 1) {
        var key = headers[h].getAttribute('data-column');
        headers[h].setAttribute('aria-sort', key !== state.sortKey ? 'none' : state.descending ? 'descending' : 'ascending');
      }
    }

    function sortBy(key) {
      var numeric = false;
      for (var c = 0; c < COLUMNS.length; c += 1) if (COLUMNS[c].key === key) numeric = COLUMNS[c].numeric;
      // A first click on a figure shows the largest first; on a name, A to Z; a second click turns it round.
      if (state.sortKey === key) state.descending = !state.descending;
      else {
        state.sortKey = key;
        state.descending = numeric;
      }
      state.selected = null;
      state.page = 0;
      render();
    }
    for (var h = 0; h < headers.length; h += 1) {
      headers[h].addEventListener('click', function (event) {
        sortBy(event.currentTarget.getAttribute('data-column'));
      });
      // The headers take the keyboard's focus (tabindex): Enter or Space sorts as a click does.
      headers[h].addEventListener('keydown', function (event) {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        sortBy(event.currentTarget.getAttribute('data-column'));
      });
    }
    filter.addEventListener('input', function () {
      state.query = filter.value;
      state.selected = null;
      state.page = 0;
      render();
    });
    prev.addEventListener('click', function () {
      state.page -= 1;
      render();
    });
    next.addEventListener('click', function () {
      state.page += 1;
      render();
    });
    render();
    // Only now do the controls show and the note for readers without scripts go: a script that
    // failed before here leaves the page as it reads without one, which stays true.
    document.documentElement.setAttribute('data-all-tests', 'on');
    return state;
  }

  return { COLUMNS: COLUMNS, PAGE_SIZE: PAGE_SIZE, formatBytes: formatBytes, formatDuration: formatDuration, cellTexts: cellTexts, selectRows: selectRows, pageOf: pageOf, start: start };
})();
document.addEventListener('DOMContentLoaded', function () { RunChunksAllTests.start(document); });
`;
