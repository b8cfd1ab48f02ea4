package nsproc

import "os"

// setProcessName sets what ps and top show as the command. A binary
// re-executed through /proc/self/exe would otherwise read "exe". Writing
// /proc/self/comm names the main thread, which is what they show, whichever
// thread this goroutine runs on.
func setProcessName(name string) {
	os.WriteFile("/proc/self/comm", []byte(name), 0)
}
