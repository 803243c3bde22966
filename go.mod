module github.com/corscope/corscope

go 1.26
