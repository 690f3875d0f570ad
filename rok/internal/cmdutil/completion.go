package cmdutil

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/config"
)

// completionTimeout bounds live completion: a slow or absent server must
// not freeze the shell.
const completionTimeout = 2 * time.Second

type completeFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// CompleteNames completes the names of kind k from the API (first
// argument only), silently offering nothing when the API is unreachable.
func CompleteNames(f *Factory, k api.Kind) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ns, _ := f.Namespace()
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		list, err := client.For[api.Object](c, k, ns).List(ctx, client.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, obj := range list.Items {
			if name := obj.GetMetadata().Name; strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteNamespaces offers the namespaces that hold applications or clusters.
func CompleteNamespaces(f *Factory) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		seen := []string{}
		for _, k := range api.Kinds {
			if !k.Namespaced || k.API != "kubernetes" {
				continue
			}
			list, err := client.For[api.Object](c, k, "").List(ctx, client.ListOptions{})
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, obj := range list.Items {
				ns := obj.GetMetadata().Namespace
				if strings.HasPrefix(ns, prefix) && !slices.Contains(seen, ns) {
					seen = append(seen, ns)
				}
			}
		}
		slices.Sort(seen)
		return seen, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteContexts offers the contexts of the configuration file.
func CompleteContexts(f *Factory) completeFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		file, err := config.Load(f.Env.Path())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, c := range file.Contexts {
			if strings.HasPrefix(c.Name, prefix) {
				names = append(names, c.Name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteValues offers fixed values.
func CompleteValues(values ...string) completeFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
