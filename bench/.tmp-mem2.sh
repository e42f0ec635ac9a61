#!/bin/bash
# usage: envs... -- node-flags
sed -i 's/"run":"smaps[0-9]*"/"run":"smaps'$RANDOM$RANDOM'"/' /tmp/mydev/task-mem.json
env AWS_ACCESS_KEY_ID=devuser AWS_SECRET_ACCESS_KEY=devpassword123 "$@" /usr/bin/time -v /work/main/node_modules/.bin/node $NODEFLAGS ${RUNNER:-/tmp/mydist/runner/main.js} bucket-backup --task-file /tmp/mydev/task-mem.json --result-file /tmp/mydev/r.json 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed|User time|System time"; grep -o '"ok":[a-z]*' /tmp/mydev/r.json
