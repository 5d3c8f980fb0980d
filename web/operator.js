// The operator's page (GET /): reads /health and /buffer-stats (open), the dead-letter queue
// (admin) and the live events of /ws/events (viewer) from the server that served it. A file of
// its own because the page's Content-Security-Policy allows scripts from this server only.
//
// Freshness: every event on the WebSocket asks for new figures (at most a few reads a second
// however many events arrive), and the figures are polled every 2 s besides, so the page stays
// current without a token or while the socket is down. The dead letters are read again when an
// event says they changed, and when the failed count in the figures moves.
'use strict';

(function () {
  // Session storage only: the token ends with the tab, and is never in the address bar or
  // in storage that outlives it.
  var kTokenKey = 'ops-db-api.operator.token';
  var kPollMs = 2000;
  var kMinRefreshGapMs = 300;
  var kChartWindowMs = 5 * 60 * 1000;
  var kMaxEvents = 50;
  var kReconnectFirstMs = 500;
  var kReconnectMaxMs = 30000;
  // A socket that stayed open this long was a working connection: the next drop starts the
  // back-off afresh. One closed at once (a server refusing it) keeps backing off.
  var kStableSocketMs = 5000;

  var state = {
    token: readToken(),
    samples: [],
    failedSeen: null,
    lastEventId: null,
    socket: null,
    socketOpenedAt: 0,
    reconnectDelay: kReconnectFirstMs,
    reconnectTimer: null,
    refreshing: false,
    refreshAgain: false,
    refreshTimer: null,
    lastRefresh: 0,
    deadLettersLoading: false,
    deadLettersAgain: false,
    busy: {},
    resolving: null,
  };

  function $(id) {
    return document.getElementById(id);
  }

  // --- storage -----------------------------------------------------------------------------

  function readToken() {
    try {
      return window.sessionStorage.getItem(kTokenKey) || '';
    } catch (e) {
      return '';
    }
  }

  function storeToken(token) {
    try {
      if (token) {
        window.sessionStorage.setItem(kTokenKey, token);
      } else {
        window.sessionStorage.removeItem(kTokenKey);
      }
    } catch (e) {
      // Storage disabled: the token lives in this page only.
    }
  }

  // --- HTTP --------------------------------------------------------------------------------

  // A JSON request to this server; never throws: {status, body}, status 0 when unreachable.
  function request(method, path, options) {
    var headers = { Accept: 'application/json' };
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (options && options.auth && state.token) headers.Authorization = 'Bearer ' + state.token;
    if (options && options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    return fetch(path, init)
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            return { status: response.status, body: body };
          });
      })
      .catch(function () {
        return { status: 0, body: null };
      });
  }

  function errorText(answer) {
    if (answer.status === 0) return 'the server could not be reached';
    var error = answer.body && answer.body.error;
    var message = error && error.message ? error.message : 'no details';
    return answer.status + ' ' + message;
  }

  // --- formatting --------------------------------------------------------------------------

  function isNumber(value) {
    return typeof value === 'number' && isFinite(value);
  }

  function formatAge(seconds) {
    if (!isNumber(seconds)) return '–';
    if (seconds < 10) return seconds.toFixed(1) + ' s';
    if (seconds < 60) return Math.round(seconds) + ' s';
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + ' min ' + Math.round(seconds % 60) + ' s';
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + ' h ' + (minutes % 60) + ' min';
    return Math.floor(hours / 24) + ' d ' + (hours % 24) + ' h';
  }

  function formatBytes(bytes) {
    if (!isNumber(bytes)) return '– bytes';
    var units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    var value = bytes;
    var unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? String(value) : value.toFixed(1)) + ' ' + units[unit];
  }

  function formatTime(text) {
    if (!text) return '–';
    var date = new Date(text);
    if (isNaN(date.getTime())) return String(text);
    return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function setFigure(id, value, text) {
    var element = $(id);
    element.dataset.value = value === null || value === undefined ? '' : String(value);
    element.textContent = text;
  }

  // Words of /health mapped to the colour of their state.
  function tone(word) {
    switch (word) {
      case 'healthy':
      case 'connected':
      case 'reachable':
      case 'running':
      case 'idle':
        return 'ok';
      case 'degraded':
      case 'retrying':
      case 'refusing':
      case 'waiting_for_main_db':
      case 'refused_by_main_db':
        return 'warn';
      case 'unhealthy':
      case 'unreachable':
      case 'stopped':
      case 'stalled':
        return 'bad';
      default:
        return 'neutral';
    }
  }

  function setWord(id, word) {
    var element = $(id);
    var text = word === null || word === undefined || word === '' ? '–' : String(word);
    element.textContent = text.replace(/_/g, ' ');
    element.dataset.state = tone(text);
  }

  // --- figures -----------------------------------------------------------------------------

  function renderHealth(answer) {
    var stateElement = $('health-state');
    var problems = $('health-problems');
    problems.replaceChildren();
    var doc = answer.body;
    if (!doc || typeof doc.status !== 'string') {
      stateElement.textContent = answer.status === 0 ? 'server unreachable' : 'unknown';
      stateElement.dataset.state = answer.status === 0 ? 'unhealthy' : 'unknown';
      return null;
    }
    stateElement.textContent = doc.status;
    stateElement.dataset.state = doc.status;
    (doc.problems || []).forEach(function (problem) {
      var item = document.createElement('li');
      item.textContent = problem;
      item.dataset.problem = problem;
      problems.appendChild(item);
    });
    if (doc.site) {
      var kind = doc.site_type ? ' (' + doc.site_type + ' site)' : '';
      $('site-name').textContent = doc.site + kind;
    }
    setWord('main-db-state', doc.main_database === undefined ? 'this site' : doc.main_database);
    setWord('local-db-state', doc.database);
    setWord('redis-state', doc.redis);
    var processor = doc.background_processor || {};
    setWord('processor-state', processor.status);
    $('processor-last-run').textContent = formatTime(processor.last_run);

    var lag = doc.replication_lag || {};
    setFigure('lag-seconds', lag.current_lag_seconds,
              isNumber(lag.current_lag_seconds) ? formatAge(lag.current_lag_seconds) : '–');
    setFigure('lag-bytes', lag.lag_bytes, formatBytes(lag.lag_bytes));
    $('lag-seconds').title =
      'main ' + (lag.main_lsn || '–') + ', replica ' + (lag.replica_lsn || '–');
    return doc;
  }

  // The buffer's figures: from /buffer-stats, which reads the buffer now, else from the last
  // sample of /health.
  function renderBuffer(statsAnswer, health) {
    var stats = statsAnswer.status === 200 && statsAnswer.body ? statsAnswer.body : null;
    var buffer = (health && health.transaction_buffer) || {};
    var pending = stats ? stats.pending_transactions : buffer.size;
    var oldest = stats ? stats.oldest_pending_seconds : buffer.oldest_pending_seconds;
    var failed = stats ? stats.failed_transactions : buffer.failed;
    var awaiting = stats ? stats.awaiting_replication : buffer.awaiting_replication;
    var processor = (health && health.background_processor) || {};
    var rate = stats ? stats.processing_rate : processor.processing_rate;

    setFigure('buffer-depth', isNumber(pending) ? pending : null,
              isNumber(pending) ? String(pending) : '–');
    setFigure('oldest-pending', oldest, isNumber(oldest) ? formatAge(oldest) : '–');
    setFigure('processing-rate', rate, isNumber(rate) ? rate.toFixed(1) : '–');
    setFigure('failed-count', failed, isNumber(failed) ? String(failed) : '–');
    setFigure('awaiting-replication', awaiting, isNumber(awaiting) ? String(awaiting) : '–');
    $('failed-count').dataset.state = isNumber(failed) && failed > 0 ? 'warn' : '';

    if (isNumber(pending)) addSample(pending);
    if (isNumber(failed) && failed !== state.failedSeen) {
      state.failedSeen = failed;
      loadDeadLetters();
    }
  }

  function refresh() {
    if (state.refreshing) {
      state.refreshAgain = true;
      return;
    }
    state.refreshing = true;
    state.lastRefresh = Date.now();
    Promise.all([request('GET', '/health'), request('GET', '/buffer-stats')])
      .then(function (answers) {
        var health = renderHealth(answers[0]);
        renderBuffer(answers[1], health);
        $('updated-at').textContent = 'updated ' + new Date().toLocaleTimeString();
      })
      .finally(function () {
        state.refreshing = false;
        if (state.refreshAgain) {
          state.refreshAgain = false;
          requestRefresh();
        }
      });
  }

  // At most one read every kMinRefreshGapMs, however often it is asked for.
  function requestRefresh() {
    if (state.refreshTimer !== null) return;
    var wait = Math.max(0, state.lastRefresh + kMinRefreshGapMs - Date.now());
    state.refreshTimer = window.setTimeout(function () {
      state.refreshTimer = null;
      refresh();
    }, wait);
  }

  // --- chart -------------------------------------------------------------------------------

  function addSample(depth) {
    var now = Date.now();
    state.samples.push({ t: now, depth: depth });
    while (state.samples.length && state.samples[0].t < now - kChartWindowMs) state.samples.shift();
    drawChart();
  }

  // A scale's top: 1, 2 or 5 times a power of ten, at least the largest value.
  function niceCeiling(value) {
    if (value <= 1) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i += 1) {
      if (steps[i] * power >= value) return steps[i] * power;
    }
    return 10 * power;
  }

  function drawChart() {
    var canvas = $('depth-chart');
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth || canvas.width;
    var height = canvas.clientHeight || canvas.height;
    var pixelWidth = Math.round(width * ratio);
    var pixelHeight = Math.round(height * ratio);
    if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    var context = canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);

    var left = 48;
    var right = 8;
    var top = 8;
    var bottom = 20;
    var plotWidth = width - left - right;
    var plotHeight = height - top - bottom;
    var now = Date.now();
    var from = now - kChartWindowMs;
    var max = niceCeiling(state.samples.reduce(function (m, s) {
      return Math.max(m, s.depth);
    }, 0));
    var x = function (t) {
      return left + ((t - from) / kChartWindowMs) * plotWidth;
    };
    var y = function (v) {
      return top + plotHeight - (v / max) * plotHeight;
    };

    context.font = '11px system-ui, sans-serif';
    context.fillStyle = '#6b7280';
    context.strokeStyle = '#e5e7eb';
    context.lineWidth = 1;
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    [0, max / 2, max].forEach(function (v) {
      context.beginPath();
      context.moveTo(left, Math.round(y(v)) + 0.5);
      context.lineTo(left + plotWidth, Math.round(y(v)) + 0.5);
      context.stroke();
      context.fillText(String(Math.round(v * 10) / 10), left - 6, y(v));
    });
    context.textBaseline = 'top';
    var ticks = [[from, '−5 min', 'left'], [now - kChartWindowMs / 2, '−2.5 min', 'center'],
                 [now, 'now', 'right']];
    ticks.forEach(function (tick) {
      context.textAlign = tick[2];
      context.fillText(tick[1], x(tick[0]), top + plotHeight + 5);
    });

    var points = state.samples.filter(function (s) {
      return s.t >= from;
    });
    if (points.length === 0) {
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.fillText('waiting for figures', left + plotWidth / 2, top + plotHeight / 2);
      return;
    }
    context.beginPath();
    points.forEach(function (s, i) {
      if (i === 0) {
        context.moveTo(x(s.t), y(s.depth));
      } else {
        context.lineTo(x(s.t), y(s.depth));
      }
    });
    context.strokeStyle = '#2563eb';
    context.lineWidth = 2;
    context.stroke();
    context.lineTo(x(points[points.length - 1].t), y(0));
    context.lineTo(x(points[0].t), y(0));
    context.closePath();
    context.fillStyle = 'rgba(37, 99, 235, 0.12)';
    context.fill();
  }

  // --- dead letters ------------------------------------------------------------------------

  function setDeadLettersNote(text) {
    $('dead-letters-note').textContent = text;
  }

  function loadDeadLetters() {
    if (!state.token) {
      renderDeadLetters([]);
      setDeadLettersNote('(an admin token lists them)');
      $('dead-letters-empty').hidden = true;
      return;
    }
    if (state.deadLettersLoading) {
      state.deadLettersAgain = true;
      return;
    }
    state.deadLettersLoading = true;
    request('GET', '/admin/failed-transactions?limit=100', { auth: true })
      .then(function (answer) {
        if (answer.status === 200 && answer.body && Array.isArray(answer.body.items)) {
          setDeadLettersNote(answer.body.items.length ? '(' + answer.body.items.length + ')' : '');
          renderDeadLetters(answer.body.items);
        } else if (answer.status === 401) {
          setDeadLettersNote('(the token was refused)');
        } else if (answer.status === 403) {
          setDeadLettersNote('(listing them needs an admin token)');
          renderDeadLetters([]);
          $('dead-letters-empty').hidden = true;
        } else {
          setDeadLettersNote('(could not be read: ' + errorText(answer) + ')');
        }
      })
      .finally(function () {
        state.deadLettersLoading = false;
        if (state.deadLettersAgain) {
          state.deadLettersAgain = false;
          loadDeadLetters();
        }
      });
  }

  function cell(text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function actionButton(kind, txId, label) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = kind;
    button.dataset.txId = txId;
    button.dataset.action = kind;
    button.textContent = label;
    button.disabled = Boolean(state.busy[txId]);
    return button;
  }

  function deadLetterRow(item, txId, key) {
    var transaction =
      item.transaction && typeof item.transaction === 'object' ? item.transaction : {};
    var row = document.createElement('tr');
    row.dataset.txId = txId;
    row.dataset.key = key;
    row.appendChild(cell(formatTime(item.failed_at), 'nowrap'));
    row.appendChild(cell(txId, 'mono'));
    row.appendChild(cell(transaction.origin || '–'));
    row.appendChild(cell(String(item.attempts === undefined ? '–' : item.attempts), 'num'));
    var error = cell(String(item.error || ''), 'error-text');
    error.title = String(item.error || '');
    row.appendChild(error);
    var actions = document.createElement('td');
    actions.className = 'actions';
    actions.appendChild(actionButton('replay', txId, 'Replay'));
    actions.appendChild(actionButton('resolve', txId, 'Resolve'));
    row.appendChild(actions);
    return row;
  }

  // Rows are kept, not rebuilt, while their dead letter is unchanged: a list read again while
  // the operator reaches for a button leaves that button in place.
  function renderDeadLetters(items) {
    var body = $('dead-letters').tBodies[0];
    var kept = {};
    Array.prototype.forEach.call(body.rows, function (row) {
      kept[row.dataset.key] = row;
    });
    var previous = null;
    items.forEach(function (item) {
      var txId = String(item.transaction_id || '');
      // A transaction replayed and refused again is a new dead letter: a new row.
      var key = txId + ' ' + String(item.failed_at || '');
      var row = kept[key] || deadLetterRow(item, txId, key);
      delete kept[key];
      var place = previous ? previous.nextSibling : body.firstChild;
      if (row !== place) body.insertBefore(row, place);
      previous = row;
    });
    Object.keys(kept).forEach(function (key) {
      kept[key].remove();
    });
    body.querySelectorAll('button[data-tx-id]').forEach(function (button) {
      button.disabled = Boolean(state.busy[button.dataset.txId]);
    });
    $('dead-letters-empty').hidden = items.length !== 0;
  }

  function showMessage(text, kind) {
    var message = $('action-message');
    message.textContent = text;
    message.dataset.kind = kind;
  }

  function runAction(txId, verb, body) {
    state.busy[txId] = true;
    document.querySelectorAll('#dead-letters button[data-tx-id="' + CSS.escape(txId) + '"]')
      .forEach(function (b) {
        b.disabled = true;
      });
    var path = '/admin/failed-transactions/' + encodeURIComponent(txId) + '/' + verb;
    return request('POST', path, { auth: true, body: body }).then(function (answer) {
      delete state.busy[txId];
      if (answer.status === 200) {
        showMessage(verb === 'replay'
          ? 'Replayed ' + txId + ': buffered again, behind everything pending.'
          : 'Resolved ' + txId + ': dropped, the reason is kept.', 'ok');
      } else {
        showMessage('Could not ' + verb + ' ' + txId + ': ' + errorText(answer), 'bad');
      }
      loadDeadLetters();
      requestRefresh();
    });
  }

  function openResolveDialog(txId) {
    state.resolving = txId;
    $('resolve-tx').textContent = txId;
    $('resolve-reason').value = '';
    $('resolve-dialog').showModal();
    $('resolve-reason').focus();
  }

  // --- live events -------------------------------------------------------------------------

  function setSocketState(word, text) {
    var element = $('ws-state');
    element.dataset.state = word;
    element.textContent = text || word;
  }

  function addEventEntry(event) {
    var list = $('events');
    var item = document.createElement('li');
    var kind = String(event.event || 'unknown');
    item.dataset.event = kind;
    if (event.transaction_id) item.dataset.txId = String(event.transaction_id);

    var time = document.createElement('span');
    time.className = 'event-time';
    time.textContent = formatTime(event.at || new Date().toISOString());
    var badge = document.createElement('span');
    badge.className = 'event-kind';
    badge.textContent = kind;
    var what = document.createElement('span');
    what.className = 'event-what';
    if (kind === 'gap') {
      what.textContent = 'events were missed: figures and dead letters read again';
    } else {
      var parts = [event.origin, event.table];
      if (event.transaction_id) parts.push('tx ' + String(event.transaction_id).slice(0, 8));
      if (Array.isArray(event.record_ids) && event.record_ids.length) {
        var count = event.record_ids.length;
        parts.push(count + ' record' + (count === 1 ? '' : 's'));
      }
      if (event.lsn) parts.push('lsn ' + event.lsn);
      if (event.error) parts.push(event.error);
      what.textContent = parts.filter(Boolean).join(' · ');
    }
    item.append(time, badge, what);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > kMaxEvents) list.removeChild(list.lastChild);
    $('events-empty').hidden = true;
  }

  function onSocketMessage(data) {
    var event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (!event || typeof event !== 'object') return;
    if (event.id) state.lastEventId = String(event.id);
    addEventEntry(event);
    requestRefresh();
    if (['failed', 'replayed', 'resolved', 'gap'].indexOf(event.event) >= 0) loadDeadLetters();
  }

  function closeSocket() {
    window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    var socket = state.socket;
    state.socket = null;
    if (socket) socket.close(1000, 'token changed');
  }

  function scheduleReconnect(code) {
    var delay = state.reconnectDelay * (0.8 + 0.4 * Math.random());
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, kReconnectMaxMs);
    var why = code === 1013 ? 'server busy' : code === 1001 ? 'server stopping' : 'closed ' + code;
    setSocketState('reconnecting',
                   'reconnecting in ' + Math.ceil(delay / 1000) + ' s (' + why + ')');
    state.reconnectTimer = window.setTimeout(connect, delay);
  }

  function connect() {
    state.reconnectTimer = null;
    if (!state.token) {
      setSocketState('off', 'off (no token)');
      return;
    }
    var scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    // The browser's WebSocket sends no Authorization header: the token goes in the query.
    var url = scheme + '//' + window.location.host + '/ws/events?token=' +
              encodeURIComponent(state.token);
    if (state.lastEventId) url += '&since=' + encodeURIComponent(state.lastEventId);
    setSocketState('connecting');
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      scheduleReconnect(0);
      return;
    }
    state.socket = socket;
    socket.addEventListener('open', function () {
      if (state.socket !== socket) return;
      state.socketOpenedAt = Date.now();
      setSocketState('live');
      // What happened while it was down: read everything once.
      requestRefresh();
      loadDeadLetters();
    });
    socket.addEventListener('message', function (message) {
      if (state.socket === socket) onSocketMessage(message.data);
    });
    socket.addEventListener('close', function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      if (state.socketOpenedAt && Date.now() - state.socketOpenedAt >= kStableSocketMs) {
        state.reconnectDelay = kReconnectFirstMs;
      }
      state.socketOpenedAt = 0;
      scheduleReconnect(event.code);
    });
  }

  // --- token -------------------------------------------------------------------------------

  function setTokenState(word, text) {
    var element = $('token-state');
    element.dataset.state = word;
    element.textContent = text;
  }

  function checkToken() {
    if (!state.token) {
      setTokenState('none', 'No token: health and buffer figures only. The token is kept in ' +
                            "this tab's session storage.");
      return;
    }
    setTokenState('checking', 'Checking the token…');
    var token = state.token;
    request('GET', '/auth/me', { auth: true }).then(function (answer) {
      if (token !== state.token) return;
      if (answer.status === 200 && answer.body) {
        var roles = (answer.body.roles || []).join(', ') || 'no role';
        setTokenState('accepted', 'Token of ' + answer.body.user + ' (' + roles + ').');
      } else if (answer.status === 401) {
        setTokenState('refused', 'The token was refused: ' + errorText(answer));
      } else {
        setTokenState('unknown', 'The token could not be checked: ' + errorText(answer));
      }
    });
  }

  function useToken(token) {
    state.token = token;
    storeToken(token);
    state.reconnectDelay = kReconnectFirstMs;
    closeSocket();
    checkToken();
    connect();
    state.failedSeen = null;
    loadDeadLetters();
  }

  // --- wiring ------------------------------------------------------------------------------

  function wire() {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = $('token-input');
      var token = input.value.trim();
      input.value = '';
      if (token) useToken(token);
    });
    $('token-forget').addEventListener('click', function () {
      $('token-input').value = '';
      useToken('');
      showMessage('', '');
    });

    $('dead-letters').addEventListener('click', function (event) {
      var button = event.target.closest('button[data-action]');
      if (!button || button.disabled) return;
      if (button.dataset.action === 'replay') runAction(button.dataset.txId, 'replay');
      if (button.dataset.action === 'resolve') openResolveDialog(button.dataset.txId);
    });

    $('resolve-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = $('resolve-reason');
      var reason = input.value.trim();
      if (!reason) {
        input.setCustomValidity('Say why the transaction is dropped.');
        input.reportValidity();
        return;
      }
      $('resolve-dialog').close();
      if (state.resolving) runAction(state.resolving, 'resolve', { reason: reason });
      state.resolving = null;
    });
    $('resolve-reason').addEventListener('input', function () {
      $('resolve-reason').setCustomValidity('');
    });
    $('resolve-cancel').addEventListener('click', function () {
      state.resolving = null;
      $('resolve-dialog').close();
    });

    window.addEventListener('resize', drawChart);
  }

  function start() {
    wire();
    checkToken();
    connect();
    refresh();
    loadDeadLetters();
    window.setInterval(requestRefresh, kPollMs);
    // The time axis moves on even when the figures do not change.
    window.setInterval(drawChart, 1000);
    drawChart();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
