"""Reads a subunit v2 stream (stestr last --subunit) on stdin; prints one JSON object per test on stdout:
{"id": ..., "status": "success|fail|skip|...", "reason": skip reason, "traceback": failure text}."""
import json
import sys

import subunit
import testtools


def _text(details, name):
    content = details.get(name)
    return ''.join(content.iter_text()) if content is not None else ''


def _emit(test):
    details = test['details']
    print(json.dumps({
        'id': test['id'],
        'status': test['status'],
        'reason': _text(details, 'reason'),
        'traceback': _text(details, 'traceback'),
    }))


stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
result = testtools.StreamToDict(_emit)
result.startTestRun()
try:
    stream.run(result)
finally:
    result.stopTestRun()
