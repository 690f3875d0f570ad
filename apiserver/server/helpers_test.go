package server_test

import "github.com/krake-go/krake/apiserver/client"

func clientWrite() client.WriteOptions { return client.WriteOptions{} }

func clientList(selector string, limit int64, cont string) client.ListOptions {
	return client.ListOptions{LabelSelector: selector, Limit: limit, Continue: cont}
}
