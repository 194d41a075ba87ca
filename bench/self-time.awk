# The naive baseline: self time per pc, no symbols. Event i of a thread is charged the time to the
# thread's next event (the same rule bootprof uses, without symbols or regions).
#   awk -f bench/self-time.awk trace.log
BEGIN { FS = "[@:]|pc=" }
/exec_tb/ {
  tid = $1; t = $2; pc = $NF
  if (tid in last) { d = t - last[tid]; if (d > 0) self[lastpc[tid]] += d }
  last[tid] = t; lastpc[tid] = pc
}
END { for (p in self) printf "%s %.6f\n", p, self[p] }
