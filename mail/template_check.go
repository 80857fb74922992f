package mail

import (
	"context"
	"errors"
	"fmt"
	"text/template/parse"
)

// An invitation template is data, not a program. Go's template language
// can loop ({{range 100000000}}), call functions and define templates, and
// a campaign owner (any salesperson) writes these: a 34-byte template once
// rendered a 20 MB preview. So a parsed template is checked against an
// allow-list of what a merge needs, and nothing else gets through:
//
//	text                       Dear customer,
//	a merge field              {{.客户名称}} {{.CustomerName}}
//	a condition on a field     {{if .职务}}…{{else if eq .职务 "经理"}}…{{else}}…{{end}}
//	a comment                  {{/* … */}}
//
// Conditions may test a field, its negation (not .职务) or a comparison of a
// field with a quoted text (eq/ne .职务 "经理"). No range, with, define,
// block or template; no variables; no other functions or pipelines.
// Without loops, rendering is linear in the template's size; output is
// capped all the same (MaxRenderBytes), and stopped with its context.

// MaxTemplateBytes bounds each part of an invitation template.
const MaxTemplateBytes = 64 << 10

// MaxRenderBytes bounds each rendered part of one invitation.
const MaxRenderBytes = 256 << 10

// ErrTooLarge is a rendered part over MaxRenderBytes.
var ErrTooLarge = errors.New("the rendered invitation is too large")

// checkTree refuses any node the allow-list does not name.
func checkTree(tree *parse.Tree) error {
	if tree == nil || tree.Root == nil {
		return nil
	}
	return checkNode(tree, tree.Root)
}

func checkNode(tree *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(tree, c); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode, *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		if field(n.Pipe) == "" {
			return refuse(tree, n, "only a merge field such as {{.客户名称}} may stand here")
		}
		return nil
	case *parse.IfNode:
		if !condition(n.Pipe) {
			return refuse(tree, n, "a condition may only test a merge field, e.g. {{if .职务}} or {{if eq .职务 \"经理\"}}")
		}
		if err := checkNode(tree, n.List); err != nil {
			return err
		}
		if n.ElseList != nil {
			return checkNode(tree, n.ElseList)
		}
		return nil
	case *parse.RangeNode:
		return refuse(tree, n, "{{range}} is not allowed: invitations have no loops")
	case *parse.WithNode:
		return refuse(tree, n, "{{with}} is not allowed: use {{if .字段}}")
	case *parse.TemplateNode:
		return refuse(tree, n, "{{template}} is not allowed")
	}
	return refuse(tree, n, "this is not allowed in an invitation")
}

// field returns the merge field a pipeline consists of, or "": exactly one
// command of exactly one known field, no variables.
func field(p *parse.PipeNode) string {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return ""
	}
	return fieldArg(p.Cmds[0].Args[0])
}

func fieldArg(n parse.Node) string {
	f, ok := n.(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 || !knownField(f.Ident[0]) {
		return ""
	}
	return f.Ident[0]
}

// condition allows .F, not .F, eq .F "text" and ne .F "text".
func condition(p *parse.PipeNode) bool {
	if field(p) != "" {
		return true
	}
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return false
	}
	args := p.Cmds[0].Args
	fn, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return false
	}
	switch fn.Ident {
	case "not":
		return len(args) == 2 && fieldArg(args[1]) != ""
	case "eq", "ne":
		if len(args) != 3 {
			return false
		}
		_, s1 := args[1].(*parse.StringNode)
		_, s2 := args[2].(*parse.StringNode)
		return (fieldArg(args[1]) != "" && s2) || (s1 && fieldArg(args[2]) != "")
	}
	return false
}

func knownField(name string) bool {
	for _, f := range mergeFieldNames {
		if name == f[0] || name == f[1] {
			return true
		}
	}
	return false
}

// refuse is a TemplateError at the node's line. The part is filled in by
// the caller.
func refuse(tree *parse.Tree, n parse.Node, why string) error {
	line := 1
	if tree != nil {
		if loc, _ := tree.ErrorContext(n); loc != "" {
			fmt.Sscanf(afterName(loc), "%d", &line)
		}
	}
	return &TemplateError{Line: line, Err: errors.New(why)}
}

// afterName strips "name:" from an ErrorContext location "name:line:col".
func afterName(loc string) string {
	for i := 0; i < len(loc); i++ {
		if loc[i] == ':' {
			return loc[i+1:]
		}
	}
	return loc
}

// cappedWriter collects a rendered part up to MaxRenderBytes and stops the
// rendering when its context ends.
type cappedWriter struct {
	ctx context.Context
	buf []byte
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if len(w.buf)+len(p) > MaxRenderBytes {
		return 0, ErrTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}
