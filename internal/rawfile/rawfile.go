// Package rawfile reads and writes whole files with the fewest system
// calls. A build reads and writes tens of thousands of small files; going
// through *os.File costs five extra calls per file on Linux (the runtime
// tries to register each regular file with its poller, fails, and undoes
// the non-blocking flag), which showed up as a tenth of a 10,000-page
// build's system time.
package rawfile
