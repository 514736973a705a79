// Package segment answers "which profiles?" in milliseconds over tens of millions of
// profiles: tags and traits, numeric fields and behaviour held as roaring bitmaps, a
// small query language over them, saved segments whose members are watched as data and
// time move, and the analysis a marketer starts a user portrait with.
//
// Profiles are uint32 keys (identity issues them densely from 1); every set of
// profiles is a *roaring.Bitmap of github.com/RoaringBitmap/roaring/v2.
//
//	x, _ := segment.NewIndex()
//	x.Tag("plan:pro", 1, 2, 3)
//	x.SetNumber("spend", 2, 250)
//	x.Record(at, 2, "visit")
//	q, _ := segment.Parse("plan:pro AND spend >= 100 AND count(visit, 30d) >= 2")
//	users, _ := x.Eval(ctx, now, q, nil) // within DefaultBudget, until ctx is done
//
// # What the index holds
//
// Tags and traits are one bitmap per value: plan:pro, city:shanghai, channel:store;
// a bare tag "churned" is tag:churned. Numeric fields (spend in cents, age, a model's
// score scaled to an integer) are bit-sliced indexes (O'Neil & Quass 1997): one bitmap
// per bit of the two's complement value, so that a comparison, a range or a top-k costs
// a few bitmap operations per bit of width and never visits profiles one by one.
// Behaviour is one bitmap per event and day of the profiles that did the event that day,
// with the number of times beyond the first as a bit-sliced index beside it; counts over
// a window are bit-sliced additions of those days.
//
// # Days and windows
//
// Behaviour is bucketed by calendar day in the index's location (UTC unless
// WithLocation says otherwise). A window of D days, as in did(purchase, 90d), covers
// the D days ending with the day of the instant passed to Eval or Refresh: from that
// day minus D−1 through that day, whole days, whatever the time of day of now. Events
// on later days never count. did(visit, 1d) is "today".
//
// count(e, D) counts events: Record calls, so count(visit, 30d) >= 2 is "two or more
// visits in the 30 days ending today", the SDK's definition of a user, for hosts that
// record one visit event per session. days(e, D) counts distinct days with at least one
// event: days(visit, 30d) >= 2 means "came back on another day", the safer rule for
// hosts that record page views. Both count profiles with no activity as 0, so
// count(visit, 30d) < 2 includes people who never visited.
//
// # The query language
//
//	query      = expr .
//	expr       = term { "OR" term } .
//	term       = factor { "AND" factor } .
//	factor     = "NOT" factor | "(" expr ")" | predicate .
//	predicate  = name ":" name                                 (* trait value; segment:x references a saved segment *)
//	           | name [ "NOT" ] "IN" "(" name { "," name } ")" (* any of several trait values or numbers *)
//	           | name comparison                               (* numeric field *)
//	           | "did" "(" name [ "," window ] ")"             (* at least once in the window; ever without one *)
//	           | "first" "(" name "," window ")"               (* for the first time ever, within the window *)
//	           | "lapsed" "(" name "," window ")"              (* before the window, but not within it *)
//	           | "count" "(" name "," window ")" comparison    (* number of events in the window *)
//	           | "days" "(" name "," window ")" comparison .   (* number of distinct active days in the window *)
//	comparison = ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) integer
//	           | "BETWEEN" integer "AND" integer .             (* inclusive *)
//	window     = duration .                                    (* whole days, 1d to 36600d: 30d, 4w, 72h *)
//	integer    = [ "-" ] digits .                              (* int64 *)
//	name       = word | string .
//	word       = wordchar { wordchar } .                       (* letters, digits, _ . - / @ + *)
//	string     = '"' { character | escape } '"' .              (* Go string literal syntax *)
//
// Keywords (AND, OR, NOT, IN, BETWEEN) are case-insensitive and must be quoted to be
// used as names; so must the trait key "segment", which bare introduces a reference.
// NOT binds tighter than AND, which binds tighter than OR. NOT complements within the
// profiles the index knows (Profiles). A comparison holds only for profiles that have a
// value, so NOT spend > 100 includes profiles without a spend, and spend <= 100 does
// not. IN on a numeric field needs integers. No name of a key, field, event or saved
// segment is empty: `"":x`, `"" > 3`, did("") and segment:"" are syntax errors, since
// the index keeps nothing under an empty name (Tag, SetNumber and Record change nothing,
// SetNumbers and RecordBatch refuse it, Save refuses the empty segment name); a trait
// value may be empty (tag:""). Parse reports
// syntax errors with line and column (*ExprError, ErrSyntax); an expression nests at
// most MaxDepth levels.
//
// Names are resolved when a query is evaluated or saved: an unknown trait key, numeric
// field, event or segment, a comparison on a trait key, or a window longer than the
// retention is an error that names the place, and nothing is evaluated; an unknown name
// within two edits of a known one is reported with it (did you mean visit?). Declare
// names that have no data yet with WithTraits, WithNumber and WithEvents; an index read
// from a snapshot, which takes no options, declares them with DeclareTraits,
// DeclareNumber and DeclareEvents (a snapshot keeps every trait key, numeric field and
// event the index knew, declared or written, and each field's MergeRule: names are
// known by name alone, with no number that a reader could assign otherwise). A
// field's MergeRule is fixed once the field exists: DeclareNumber with another is
// ErrInvalid. A window is written as clientele.ParseDuration reads it, and must come
// to whole days.
//
// # Cost: budgets and cancellation
//
// Eval and Count take a context and an EvalOptions whose Budget bounds the terms of the
// expression (saved segments expanded), the daily bitmaps read and the bitmap
// operations; nil means DefaultBudget (1,000 terms, 100,000 days, 1,000,000
// operations), which every ordinary rule fits with room to spare. An evaluation that
// runs out fails with ErrBudget naming what ran out, and one whose context is done stops
// with the context's error, within a few dozen bitmap operations; both return no result
// and change nothing. Checking the terms costs nothing and happens before any bitmap is
// read. A Budget passed in is spent, so one Budget bounds a batch of evaluations (a
// request that evaluates every saved segment). Refresh, which the host schedules itself,
// is not metered.
//
// # Saved segments and live membership
//
// Save names a query; queries reference it as segment:name (cycles are refused).
// Save over a saved segment redefines it and keeps its members; Delete refuses a
// segment another references; Recreate replaces one with a new segment of the same
// name, its members starting empty, even while others reference it.
// Refresh re-evaluates every saved segment at an instant and reports exactly who entered
// and who exited since the previous Refresh; Watch does so on a clock, as data changes or
// days pass, which is what a host forwards to its e-mail or advertising tools.
//
// # Identity merges
//
// ApplyMerge(survivor, absorbed) moves every membership, number and day of activity
// of the absorbed profiles to the survivor, numbers by each field's MergeRule.
// Forget(profiles...), for identity's OnForget, erases them instead: no query finds
// them afterwards, they leave saved segments' members at once and no Refresh reports
// them (the host erases them from the tools it forwards changes to itself), and the
// next snapshot holds nothing of them.
//
// # Persistence
//
// WriteTo writes a snapshot: a header, every bitmap in the portable roaring format
// (readable by CRoaring, Java roaring and the SQL engines built on them), a directory
// and a CRC-32C checksum. SaveTo and Load keep snapshots in a Store of named blobs
// (MemStore, FileStore); Open reads a snapshot file, or with OpenOptions.Map maps
// it read-only and serves bitmaps from the mapping without copying (then the file must
// not be truncated or rewritten in place while the index is open: the process would
// die of SIGBUS). Every bitmap read is validated, and a damaged snapshot is refused with
// ErrCorrupt and the offset of the damage. A snapshot of an earlier version that holds
// an empty trait key, numeric field or event name (kept then by Tag(":x"), SetNumber("")
// or Record with ""), which no query can name, loads without it; one whose saved
// segment names it is refused with ErrCorrupt naming the segment, since its definition
// no longer parses.
//
// OpenFileStore removes the temporary files of Puts that a crash cut short once their
// process no longer runs; those an earlier version of the SDK left, named without a
// process id, stay until an operator deletes them (FileStore says when that is safe and
// how to find them).
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): Store, MemStore (zero value ready) and
// OpenFileStore(dir, *FileOptions) with segment/storetest's Harness{Open, Reopen,
// Close}; bad input is ErrInvalid, damaged snapshots ErrCorrupt, missing blobs
// ErrNotFound, all in errors.go, each message naming "segment:" once; Eval and Count take
// ctx, then the instant; ApplyMerge(survivor, absorbed) error; windows are written in
// the SDK's duration syntax (7d, 2w; clientele.ParseDuration); NewIndex takes functional
// Options and refuses a bad one with ErrInvalid, functions take *XOptions (nil for
// defaults).
//
// # Design: planning
//
// An AND evaluates its stored-bitmap operands first, smallest first, then the operands
// whose cost the running result can cut (numeric comparisons and windows are computed
// only within it), then subtracts its NOT operands; an empty operand or running result
// ends it at once. Count counts the last step with AndCardinality instead of building it.
package segment
