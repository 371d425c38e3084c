package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"offrl/internal/cli"
)

const usage = `Usage: dataset COMMAND [flags] ARGS

Inspects, checks and combines datasets in the toolkit's Parquet layout. A
dataset is a directory (manifest.json + part-NNNNN.parquet) or a single
.parquet file.

Commands:
  info PATH [--json]                      schema, counts, metadata, return statistics
  validate PATH...                        check rows against metadata; exit 1 if any fails
  merge --out OUT [--id ID] [--kind KIND] SRC1 SRC2...
                                          concatenate datasets into a new one
  head PATH [-n 5] [--offset K]           print transitions K to K+n-1
  table PATH...                           one Markdown table row per dataset (the README's table)

Examples:
  dataset info data/pendulum-medium-v0
  dataset validate data/pendulum-medium-v0 data/pendulum-expert-v0.parquet
  dataset merge --out data/pendulum-medium-expert-v0 --id pendulum-medium-expert-v0 \
      data/pendulum-medium-v0 data/pendulum-expert-v0
  dataset head data/pendulum-medium-v0 -n 3 --offset 199

Run "dataset COMMAND --help" for a command's flags.
Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted.
`

// command is one subcommand: its name and the function that runs it with
// the arguments after the name.
type command struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order --help shows them.
func commands() []command {
	return []command{
		{"info", runInfo},
		{"validate", runValidate},
		{"merge", runMerge},
		{"head", runHead},
		{"table", runTable},
	}
}

// run dispatches to the subcommand named by args[0] and returns the exit
// status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "dataset: a command is required: %s (see --help)\n", names())
		return cli.ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return cli.ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "dataset: unknown command %q, want one of %s (see --help)\n",
		args[0], names())
	return cli.ExitUsage
}

// names lists the subcommand names for messages.
func names() string {
	var s []string
	for _, c := range commands() {
		s = append(s, c.name)
	}
	return strings.Join(s, ", ")
}

// newFlagSet returns a subcommand's flag set whose --help prints text
// followed by the flag defaults.
func newFlagSet(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet("dataset "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), text)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs, letting flags and positional arguments mix
// in any order ("info PATH --json" and "info --json PATH"); everything
// after "--" is positional. Like [cli.Parse], it prints nothing itself
// except the usage on stdout for -h or --help, which it reports as
// help = true; any other problem is one error for one line on stderr.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) (
	help bool, positional []string, err error) {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return true, nil, nil
		}
		if err != nil {
			return false, nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return false, positional, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return false, append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageFail prints a usage error of subcommand name and returns
// [cli.ExitUsage].
func usageFail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "dataset %s: %v (see dataset %s --help)\n", name, err, name)
	return cli.ExitUsage
}
