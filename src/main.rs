fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(failure) = kuronuri::cli::run(&args) {
        eprintln!("kuronuri: {}", failure.message);
        std::process::exit(failure.status);
    }
}
